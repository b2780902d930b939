; consts_two: r2 = r1 + A and r3 = r1 + B for two constants.
; Holes: A and B, the immediates of two `addi` (range -100..100 each).
        addi r2, r1, ??[-100:100]
        addi r3, r1, ??[-100:100]
        halt
