; fn_round_up: r2 = r1 rounded up to a multiple of 8, as (r1 + 7) & -8.
; Holes: two mnemonics (addi, andi, ori, xori) and their immediates (range -8..8 each).
        ?{addi,andi,ori,xori} r2, r1, ??[-8:8]
        ?{addi,andi,ori,xori} r2, r2, ??[-8:8]
        halt
