; loop_step: r2 = r1 + (r1+S) + (r1+2S) + ... , N terms (here N = 6, S = 3: 6*r1 + 45).
; Holes: the loop count N (`li`, range 1..15) and the step S (`addi`, range -8..8).
        li r2, 0
        li r3, ??[1:15]
loop:   add r2, r2, r1
        addi r1, r1, ??[-8:8]
        addi r3, r3, -1
        bne r3, r0, loop
        halt
