; consts_affine: r2 = A * r1 + B.
; Holes: A (`li`, range 0..31) and B (`addi`, range -128..127).
        li r3, ??[0:31]
        mul r2, r1, r3
        addi r2, r2, ??[-128:127]
        halt
