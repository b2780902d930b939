; jumptable.s — a little stack calculator: commands come from the input stream
; and are dispatched through a table of handler addresses with `jalr`.
; inputs:  input stream of commands:
;            0 end (also what the end of the input reads as)   1 v push v
;            2 add   3 sub   4 mul   5 print the top (kept)   6 dup   7 nop
;          any other command prints -1 and stops.
; output:  what `print` printed; the stack lives at sp (an empty-stack pop faults)
        .equ NCMD, 8
        .entry main
table:  .word op_end, op_push, op_add, op_sub, op_mul, op_print, op_dup, op_nop

main:
.loop:  in   r4                 ; command
        li   r5, NCMD
        bgeu r4, r5, .bad       ; unsigned: a negative command is out of range too
        la   r5, table
        add  r5, r5, r4
        ld   r6, 0(r5)
        jalr lr, r6, 0          ; call the handler
        j    .loop
.bad:   li   r1, -1
        out  r1
        halt

op_end: halt
op_push:
        in   r1
        push r1
        ret
op_add: pop  r2
        pop  r1
        add  r1, r1, r2
        push r1
        ret
op_sub: pop  r2                 ; a - b = a + (-b): negate b, then tail-call op_add
        neg  r2, r2
        push r2
        la   r7, op_add
        jr   r7
op_mul: pop  r2
        pop  r1
        mul  r1, r1, r2
        push r1
        ret
op_print:
        ld   r1, 0(sp)
        out  r1
        ret
op_dup: ld   r1, 0(sp)
        push r1
        ret
op_nop: nop
        ret
