; Wrong operand counts, for instructions, pseudos and directives.
    add r1, r2
    add r1, r2, r3, r4
    halt r1
    push
    ret lr
    ld r1
    .equ X
    .org 1, 2
    .word
    .string
; error@2:5: `add` takes 3 operands (rd, ra, rb), got 2
; error@3:21: `add` takes 3 operands (rd, ra, rb), got 4
; error@4:10: `halt` takes no operands, got 1
; error@5:5: `push` takes 1 operand (ra), got 0
; error@6:9: `ret` takes no operands, got 1
; error@7:5: `ld` takes 2 operands (rd, imm(ra)), got 1
; error@8:5: `.equ` takes 2 operands (name, value), got 1
; error@9:13: `.org` takes 1 operand (address), got 2
; error@10:5: `.word` needs at least one value
; error@11:5: `.string` takes 1 operand
