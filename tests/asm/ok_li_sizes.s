; li picks one word when the value fits imm22, else lui + ori (ISA.md).
.equ BIG, 0x400000
    li r1, 5                    ; => 0x60400005
    li r2, 2097151              ; => 0x609FFFFF
    li r3, 2097152              ; => 0x64C00800 0x48CC0000
    li r4, -2097152             ; => 0x61200000
    li r5, -2097153             ; => 0x657FF7FF 0x495403FF
    li r6, 0x12345678           ; => 0x65848D15 0x49980278
    li r7, 0xFFFFFFFF           ; => 0x65FFFFFF 0x49DC03FF
    li r8, -1                   ; => 0x623FFFFF
    li r9, -2147483648          ; => 0x66600000 0x4A640000
    li r10, BIG                 ; => 0x66801000 0x4AA80000
    li r11, BIG >> 2            ; => 0x62D00000
