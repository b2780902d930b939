; fn_avg: r3 = floor((r1 + r2) / 2) (signed), as (r1 op r2) shifted right.
; Holes: the combining mnemonic (add, sub, xor, and, or), the shift mnemonic (shli, shri, sari)
; and its amount (range 0..7).
        ?{add,sub,xor,and,or} r3, r1, r2
        ?{shli,shri,sari} r3, r3, ??[0:7]
        halt
