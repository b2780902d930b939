; const_add: r2 = r1 + C for a constant C.
; Hole: the immediate C of `addi` (range -64..63).
        addi r2, r1, ??[-64:63]
        halt
