; p05 reference: x = r1 with every bit below its lowest set bit turned on
; (all 32 bits when x = 0)
        mov  r7, r1
        li   r2, 1
.scan:  beqz r2, .done
        and  r3, r1, r2
        bnez r3, .done          ; reached the lowest set bit
        or   r7, r7, r2
        add  r2, r2, r2
        j    .scan
.done:  halt
