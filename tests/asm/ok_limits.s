; Field limits accepted: imm14, t14, s22, u22 at both ends.
    addi r1, r1, -8192          ; => 0x40442000
    slti r1, r1, 8191           ; => 0x5C441FFF
    st r1, -8192(r2)            ; => 0x84086000
    bne r1, r2, 16383           ; => 0xAC04BFFF
    jal r1, 4194303             ; => 0xA07FFFFF
    li r1, -2097152             ; => 0x60600000
    lui r1, 4194303             ; => 0x647FFFFF
