; mn_two: r4 = (r1 XOR r2) + r3, both operations chosen among five.
; Holes: two mnemonics (add, sub, xor, and, or).
        ?{add,sub,xor,and,or} r4, r1, r2
        ?{add,sub,xor,and,or} r4, r4, r3
        halt
