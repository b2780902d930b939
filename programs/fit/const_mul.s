; const_mul: r2 = r1 * K for a constant K.
; Hole: K, loaded by `li` (range 0..63).
        li r3, ??[0:63]
        mul r2, r1, r3
        halt
