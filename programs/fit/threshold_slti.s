; threshold_slti: r2 = 1 if r1 < T else 0 (signed), for a threshold T.
; Hole: T, the immediate of `slti` (range -100..100).
        slti r2, r1, ??[-100:100]
        halt
