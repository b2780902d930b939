; threshold_blt: r2 = r1 if r1 < T else 0, the threshold T in a register.
; Hole: T, loaded by `li` (range 0..127) and compared by `bge`.
        li r3, ??[0:127]
        li r2, 0
        bge r1, r3, done
        addi r2, r1, 0
done:   halt
