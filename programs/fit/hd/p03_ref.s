; p03 reference: the lowest set bit of x = r1 alone (0 when x = 0)
        li   r7, 0
        li   r2, 1
.scan:  beqz r2, .done
        and  r3, r1, r2
        bnez r3, .found
        add  r2, r2, r2
        j    .scan
.found: mov  r7, r2
.done:  halt
