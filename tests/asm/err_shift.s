; Negative shift counts are errors; a register inside an expression too.
    .word 1 << -1
    .word 8 >> (0 - 2)
    addi r1, r2, r3 + 1
; error@2:11: negative shift count -1
; error@3:11: negative shift count -2
; error@4:18: register `r3` can't be used as a value here
