; 64-bit signed C semantics: / % toward zero, >> arithmetic (overflow is an error:
; err_expr_overflow.s).
    .word 7 / 2, -7 / 2, 7 / -2, -7 / -2; => 0x00000003 0xFFFFFFFD 0xFFFFFFFD 0x00000003
    .word 7 % 3, -7 % 3, 7 % -3, -7 % -3; => 0x00000001 0xFFFFFFFF 0x00000001 0xFFFFFFFF
    .word -16 >> 2, -1 >> 63, 1 << 31; => 0xFFFFFFFC 0xFFFFFFFF 0x80000000
    .word (-1 << 63) >> 63, ((1 << 62) >> 60) + 5; => 0xFFFFFFFF 0x00000009
    .word 0x7FFFFFFFFFFFFFFF >> 32, (-0x7FFFFFFFFFFFFFFF - 1) >> 32; => 0x7FFFFFFF 0x80000000
    .word 0xFFFFFFFF00000001 + 0xFFFFFFFF; => 0x00000000
