; table8: r2 = P[r1 & 7] for an 8-entry permutation P in data memory (words 40..47).
; Holes: the eight table words (range 0..7 each).
        andi r3, r1, 7
        ld r2, 40(r3)
        halt
        .org 40
        .word ??[0:7]
        .word ??[0:7]
        .word ??[0:7]
        .word ??[0:7]
        .word ??[0:7]
        .word ??[0:7]
        .word ??[0:7]
        .word ??[0:7]
