; p06 reference: x = r1 with its lowest 0 bit turned on (x unchanged when it has none)
        mov  r7, r1
        li   r2, 1
.scan:  beqz r2, .done
        and  r3, r1, r2
        beqz r3, .found
        add  r2, r2, r2
        j    .scan
.found: or   r7, r1, r2
.done:  halt
