; threshold_band: r2 = 1 if LO <= r1 < HI else 0, as (r1 < HI) - (r1 < LO).
; Holes: HI and LO, the immediates of two `slti` (range 0..63 each).
        slti r3, r1, ??[0:63]
        slti r4, r1, ??[0:63]
        sub r2, r3, r4
        halt
