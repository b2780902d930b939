; store_two: mem[40] = r1 + r2 and mem[41] = r1 - r2.
; Holes: the addresses of the two `st` (range 32..63 each).
        add r3, r1, r2
        st r3, ??[32:63](r0)
        sub r3, r1, r2
        st r3, ??[32:63](r0)
        halt
