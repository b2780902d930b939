; wide_sum2: r2 = r1 + A and r3 = r1 - B for two wide constants.
; Holes: A and B, loaded by `li` (full imm22 range -2097152..2097151 each).
        li r5, ??
        add r2, r1, r5
        li r6, ??
        sub r3, r1, r6
        halt
