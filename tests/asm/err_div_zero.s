; Division by zero in an expression is a diagnostic, not a crash.
.equ Z, 0
    .word 1 / 0
    .word 5 % Z
    addi r1, r1, 4 / (2 - 2)
.equ BAD, 1 / Z
; error@3:11: division by zero
; error@4:11: remainder by zero
; error@5:18: division by zero
; error@6:11: division by zero
