; table16_sbox: print S[r1], S[r2], S[r3], S[r4] for the 16-entry PRESENT cipher S-box S
; stored in data memory (words 32..47).
; Holes: the sixteen table words (range 0..15 each).
        ld r5, 32(r1)
        out r5
        ld r5, 32(r2)
        out r5
        ld r5, 32(r3)
        out r5
        ld r5, 32(r4)
        out r5
        halt
        .org 32
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
        .word ??[0:15]
