; 64-bit signed C semantics: / % toward zero, >> arithmetic, wrap-around.
    .word 7 / 2, -7 / 2, 7 / -2, -7 / -2; => 0x00000003 0xFFFFFFFD 0xFFFFFFFD 0x00000003
    .word 7 % 3, -7 % 3, 7 % -3, -7 % -3; => 0x00000001 0xFFFFFFFF 0x00000001 0xFFFFFFFF
    .word -16 >> 2, -1 >> 63, 1 << 31; => 0xFFFFFFFC 0xFFFFFFFF 0x80000000
    .word (1 << 63) >> 63, (1 << 64) + 5; => 0xFFFFFFFF 0x00000005
    .word 0x7FFFFFFFFFFFFFFF + 1 >> 32; => 0x80000000
    .word 0xFFFFFFFF00000001 + 0xFFFFFFFF; => 0x00000000
