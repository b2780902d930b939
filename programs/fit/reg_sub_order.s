; reg_sub_order: r5 = r3 - r1, the operands chosen among all registers.
; Holes: both source registers of `sub` (r0..r15 each).
        sub r5, ??, ??
        halt
