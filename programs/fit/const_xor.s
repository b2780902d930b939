; const_xor: r2 = r1 XOR K for an 8-bit constant K.
; Hole: the immediate K of `xori` (range 0..255).
        xori r2, r1, ??[0:255]
        halt
