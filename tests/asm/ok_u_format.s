; U format: li (one word, signed imm22) and lui (unsigned imm22).
    li r1, 0                    ; => 0x60400000
    li r2, -1                   ; => 0x60BFFFFF
    li r3, 2097151              ; => 0x60DFFFFF
    li r4, -2097152             ; => 0x61200000
    lui r5, 0                   ; => 0x65400000
    lui r6, 4194303             ; => 0x65BFFFFF
    lui r7, 0x48D15             ; => 0x65C48D15
