; p19 reference: the published bit-field exchange, step by step (shift amounts are k & 31,
; as ncpu32 shifts): t = ((x >> k) ^ x) & m; result = x ^ t ^ (t << k); x = r1, m = r2, k = r3
        shr  r4, r1, r3         ; x >> k (logical)
        xor  r4, r4, r1
        and  r4, r4, r2         ; t
        shl  r5, r4, r3         ; t << k
        xor  r7, r1, r4
        xor  r7, r7, r5
        halt
