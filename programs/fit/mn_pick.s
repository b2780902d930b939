; mn_pick: r3 = r1 - r2, the operation chosen among five.
; Hole: the mnemonic (add, sub, xor, and, or).
        ?{add,sub,xor,and,or} r3, r1, r2
        halt
