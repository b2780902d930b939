; branch_max: print max(r1, r2); when r1 >= r2 the branch skips the copy of r2.
; Hole: the target of `bge` (range 0..7; the code is words 0..4).
        addi r3, r1, 0
        bge r1, r2, ??[0:7]
        addi r3, r2, 0
        out r3
        halt
