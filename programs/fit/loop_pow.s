; loop_pow: r2 = r1 ** 5, multiplying while the counter i < K.
; Hole: the bound K of `slti` (range 0..15); the body runs max(K, 1) times.
        li r2, 1
        li r3, 0
loop:   mul r2, r2, r1
        addi r3, r3, 1
        slti r4, r3, ??[0:15]
        bne r4, r0, loop
        halt
