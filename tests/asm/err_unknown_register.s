; Unknown registers: r16 and friends, with the register set or a guess.
    add r16, r1, r2
    add r1, r99, r2
    addi r1, zer, 1
    ld r1, 0(sq)
    out R16
    in foo
; error@2:9: unknown register `r16` (registers are r0..r15, zero, lr, sp)
; error@3:13: unknown register `r99` (registers are r0..r15, zero, lr, sp)
; error@4:14: unknown register `zer` (did you mean `zero`?)
; error@5:14: unknown register `sq` (did you mean `sp`?)
; error@6:9: unknown register `R16`
; error@7:8: expected a register, got `foo`
