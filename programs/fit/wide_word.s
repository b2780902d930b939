; wide_word: r2 = r1 + K for a constant K kept in data memory (word 40).
; Hole: the data word K (range -200000000..200000000).
        ld r3, 40(r0)
        add r2, r1, r3
        halt
        .org 40
        .word ??[-200000000:200000000]
