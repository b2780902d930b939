; p17 reference: x = r1 with its lowest run of 1 bits cleared: find the lowest set bit,
; then clear bits upward while they are 1
        mov  r7, r1
        li   r2, 1
.find:  beqz r2, .done          ; x = 0
        and  r3, r1, r2
        bnez r3, .clear
        add  r2, r2, r2
        j    .find
.clear: beqz r2, .done          ; the run reached bit 31
        and  r3, r1, r2
        beqz r3, .done          ; the run ended
        xor  r7, r7, r2
        add  r2, r2, r2
        j    .clear
.done:  halt
