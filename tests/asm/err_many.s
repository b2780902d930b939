; Different kinds of error in one file: all reported, the good lines still laid out.
start: addi r1, r1, 9000
    bogus r1
    add r1, r2
    beq r1, r2, end
    li r1, 1 / 0
    j nowhere
end: halt
    .word end
; error@2:21: immediate 9000 out of range
; error@3:5: unknown mnemonic
; error@4:5: takes 3 operands
; error@6:12: division by zero
; error@7:7: undefined label `nowhere`
