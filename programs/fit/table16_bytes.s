; table16_bytes: print T[r1 & 15], .., T[r4 & 15] for the byte table T[i] = i^3 mod 256
; stored in data memory (words 32..47).
; Holes: the sixteen table words (range 0..255 each).
        andi r5, r1, 15
        ld r5, 32(r5)
        out r5
        andi r5, r2, 15
        ld r5, 32(r5)
        out r5
        andi r5, r3, 15
        ld r5, 32(r5)
        out r5
        andi r5, r4, 15
        ld r5, 32(r5)
        out r5
        halt
        .org 32
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
        .word ??[0:255]
