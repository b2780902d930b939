; Undefined labels: reported at every use, with a guess.
loop: addi r1, r1, -1
    bnez r1, lop
    j lop
    .word missing + 1, loop
    li r2, Loop
    beq r1, r2, .inner
; error@3:14: undefined label `lop` (did you mean `loop`?)
; error@4:7: undefined label `lop` (did you mean `loop`?)
; error@5:11: undefined label `missing`
; error@6:12: undefined label `Loop` (did you mean `loop`?)
; error@7:17: undefined label `.inner`
