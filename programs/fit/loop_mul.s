; loop_mul: r2 = K * r1 by adding r1 to r2 K times in a counted loop.
; Hole: the loop count K, loaded by `li` (range 1..31).
        li r2, 0
        li r3, ??[1:31]
loop:   add r2, r2, r1
        addi r3, r3, -1
        bne r3, r0, loop
        halt
