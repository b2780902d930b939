; p02 reference: clear the trailing 1s of x = r1 (bits 0, 1, ... while they are 1)
        mov  r7, r1
        li   r2, 1
.scan:  beqz r2, .done          ; all 32 bits were 1
        and  r3, r7, r2
        beqz r3, .done          ; the first 0 bit: stop
        xor  r7, r7, r2
        add  r2, r2, r2
        j    .scan
.done:  halt
