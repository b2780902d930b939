; I format: every register-immediate ALU op, both ends of imm14.
    addi r1, r2, 5              ; => 0x40480005
    addi r1, r2, -1             ; => 0x40483FFF
    addi r3, r3, -8192          ; => 0x40CC2000
    addi r3, r3, 8191           ; => 0x40CC1FFF
    andi r4, r5, 0xFF           ; => 0x451400FF
    ori r6, r7, 0x100           ; => 0x499C0100
    xori r8, r9, -1             ; => 0x4E243FFF
    shli r10, r11, 31           ; => 0x52AC001F
    shri r12, r13, 1            ; => 0x57340001
    sari r14, r15, 4            ; => 0x5BBC0004
    slti r1, r0, -100           ; => 0x5C403F9C
    jalr r14, r2, 3             ; => 0xA7880003
    jalr r0, lr, 0              ; => 0xA4380000
