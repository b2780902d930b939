; fn_shift_sub: f(x) = 7*x in r2 for x in r1, as (x << S) op x.
; Holes: the shift mnemonic (shli, shri, sari), its amount S (range 0..7), and the combining
; mnemonic (add, sub, xor).
        ?{shli,shri,sari} r2, r1, ??[0:7]
        ?{add,sub,xor} r2, r2, r1
        halt
