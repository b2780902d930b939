; branch_abs: r2 = |r1| + 1; a non-negative r1 must skip the negation.
; Hole: the target of `bge` (range 0..7; the code is words 0..4).
        addi r2, r1, 0
        bge r1, r0, ??[0:7]
        sub r2, r0, r1
        addi r2, r2, 1
        halt
