; wide_linear: r2 = A * r1 + B with a small slope and a wide offset.
; Holes: A (`li`, range -100..100) and B (`li`, full imm22 range).
        li r3, ??[-100:100]
        mul r2, r1, r3
        li r4, ??
        add r2, r2, r4
        halt
