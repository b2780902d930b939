; table32: print T[r1], .., T[r6] for the 32-entry byte table T[i] = (5*i*i + 3) mod 256
; stored in data memory (words 32..63).
; Holes: the thirty-two table words (range 0..255 each).
        ld r7, 32(r1)
        out r7
        ld r7, 32(r2)
        out r7
        ld r7, 32(r3)
        out r7
        ld r7, 32(r4)
        out r7
        ld r7, 32(r5)
        out r7
        ld r7, 32(r6)
        out r7
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
