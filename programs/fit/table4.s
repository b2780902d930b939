; table4: r2 = T[r1 & 3] for a 4-entry table T in data memory (words 40..43).
; Holes: the four table words (range 0..15 each).
        andi r3, r1, 3
        ld r2, 40(r3)
        halt
        .org 40
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
