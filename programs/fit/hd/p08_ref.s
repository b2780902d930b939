; p08 reference: a mask of the trailing 0s of x = r1 (all 32 bits when x = 0)
        li   r7, 0
        li   r2, 1
.scan:  beqz r2, .done
        and  r3, r1, r2
        bnez r3, .done          ; the lowest set bit: stop before it
        or   r7, r7, r2
        add  r2, r2, r2
        j    .scan
.done:  halt
