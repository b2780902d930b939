; Syntax errors: all reported in one run, each at its token.
    add r1, r2, r3 r4
    add r1,, r2
    ld r1, 4(r2
foo bar baz:
    addi r1, r2, 3 +
    halt
    .word 1 2
; error@2:20: syntax error: unexpected `r4`, expected an operator, `(`, `,` or end of line
; error@3:12: unexpected `,`, expected a register, a label, a number or a string
; error@4:16: unexpected end of line, expected `)`
; error@5:9: unexpected `baz`
; error@6:21: unexpected end of line, expected a register, a label or a number
; error@8:13: unexpected `2`
