; const_out: print r1 + C for a constant C.
; Hole: the immediate C of `addi` (range -200..200).
        addi r2, r1, ??[-200:200]
        out r2
        halt
