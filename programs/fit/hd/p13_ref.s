; p13 reference: the sign of signed x = r1: -1, 0 or 1
        li   r7, 0
        beqz r1, .done
        li   r7, 1
        bgt  r1, r0, .done
        li   r7, -1
.done:  halt
