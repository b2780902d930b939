; reg_three: r6 = (r4 - r2) * r1, every operand chosen among all registers.
; Holes: the two sources of `sub` and the second source of `mul` (r0..r15 each).
        sub r7, ??, ??
        mul r6, r7, ??
        halt
