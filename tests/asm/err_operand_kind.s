; Wrong operand kinds: each reported at the operand.
    add r1, 5, r2
    add r1, r2, x+1
    addi r1, r2, r3
    addi "s", r2, 1
    ld r1, x
    ld r1, 4(5)
    jal r1, sp
    .word r1, 2
    .string 5
    .include foo
    st r1, 2(r2)(r3)
x:  halt
; error@2:13: expected a register, got a number
; error@3:17: expected a register, got an expression
; error@4:18: expected a number or label, got register `r3`
; error@5:10: expected a register, got a string
; error@6:12: expected a memory operand `offset(register)`, got `x` (write `x(r0)` for an absolute address)
; error@7:14: expected a register, got a number
; error@8:13: expected a target label or address, got register `sp`
; error@9:11: expected a number or label, got register `r1`
; error@10:13: `.string` takes a string in double quotes, got a number
; error@11:14: `.include` takes a string in double quotes, got `foo`
; error@12:17: syntax error: unexpected `(`
