; lib/mul.s — mul_shift, multiplication by shift-and-add (included by mulshift.s).
; mul_shift: r1 * r2 -> r3 (low 32 bits, any signs); clobbers r1, r2, r4
mul_shift:
        li   r3, 0
.bit:   beqz r2, .end
        andi r4, r2, 1
        beqz r4, .skip
        add  r3, r3, r1         ; this bit of b is set: add a << i
.skip:  shli r1, r1, 1
        shri r2, r2, 1          ; logical, so a negative b ends too
        j    .bit
.end:   ret
