; consts_mask_shift: r2 = bits 4..7 of r1, i.e. (r1 >> S) & K.
; Holes: the shift S of `shri` (range 0..15) and the mask K of `andi` (range 0..255).
        shri r2, r1, ??[0:15]
        andi r2, r2, ??[0:255]
        halt
