; Number forms: decimal, 0x, 0b, 0o, 'c', `_` separators, leading -, upper case.
    .word 42, -42, 0            ; => 0x0000002A 0xFFFFFFD6 0x00000000
    .word 0x1F, 0X1f, 0xdead_BEEF; => 0x0000001F 0x0000001F 0xDEADBEEF
    .word 0b1010, 0B1111_0000   ; => 0x0000000A 0x000000F0
    .word 0o17, 0O777           ; => 0x0000000F 0x000001FF
    .word 1_000_000, 007        ; => 0x000F4240 0x00000007
    .word 'A', 'z', ' '         ; => 0x00000041 0x0000007A 0x00000020
    .word -0x10, -0b1, --5      ; => 0xFFFFFFF0 0xFFFFFFFF 0x00000005
    addi r1, r0, -0x1F          ; => 0x40403FE1
    addi r1, r0, 'a'            ; => 0x40400061
