; reg_pick: copy one of the input registers r1..r4 into r5 (here: r3).
; Hole: the source register of `addi` (any register r0..r15).
        addi r5, ??, 0
        halt
