; mulshift.s — multiplies by shift-and-add and checks against `mul`.
; inputs:  r1 = a, r2 = b
; output:  out a * b by shift-and-add, then a * b by `mul` (both modulo 2^32)
        .entry main
        .include "lib/mul.s"

main:
        mul  r5, r1, r2
        call mul_shift
        out  r3
        out  r5
        halt
