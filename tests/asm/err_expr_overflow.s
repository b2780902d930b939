; An expression whose value leaves 64-bit signed integers is an error at the
; expression, never a silent wrap (`.word 1<<70` used to place 0): ISA.md evaluates
; expressions on 64-bit signed integers and then checks the field's range.
.equ BIG, 1 << 63
    .word 1 << 70
    .word (1 << 64) + 5
    .word 0x7FFFFFFFFFFFFFFF + 1
    .word 5 >> 64, 1 << -1
    .word -(-0x7FFFFFFFFFFFFFFF - 1)
    .word 0x100000000 * 0x100000000
    addi r1, r1, 1 << 80
    .word (-0x7FFFFFFFFFFFFFFF - 1) / -1
    .word 1 << 62, 0xFFFFFFFFFFFFFFFF + 1
; error@4:11: the result 9223372036854775808 does not fit in 64 bits
; error@5:11: shift count 70 outside 0..63
; error@6:11: shift count 64 outside 0..63
; error@7:11: the result 9223372036854775808 does not fit in 64 bits
; error@8:11: shift count 64 outside 0..63
; error@8:20: negative shift count -1
; error@9:11: the result 9223372036854775808 does not fit in 64 bits
; error@10:11: the result 18446744073709551616 does not fit in 64 bits
; error@11:18: shift count 80 outside 0..63
; error@12:11: the result 9223372036854775808 does not fit in 64 bits
; error@13:11: value 4611686018427387904 out of range for `.word`
