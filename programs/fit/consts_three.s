; consts_three: r4 = A * r1 + B * r2 + C.
; Holes: A and B (`li`, range -16..15 each), C (`addi`, range -64..63).
        li r5, ??[-16:15]
        mul r6, r1, r5
        li r5, ??[-16:15]
        mul r7, r2, r5
        add r4, r6, r7
        addi r4, r4, ??[-64:63]
        halt
