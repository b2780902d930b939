; p04 reference: a mask of the lowest set bit of x = r1 and every bit below it
; (all 32 bits when x = 0)
        li   r7, 0
        li   r2, 1
.scan:  beqz r2, .done
        or   r7, r7, r2
        and  r3, r1, r2
        bnez r3, .done          ; the lowest set bit is in the mask: stop
        add  r2, r2, r2
        j    .scan
.done:  halt
