; p14 reference: floor((x + y) / 2) for unsigned x = r1, y = r2, from the 33-bit sum
        add  r3, r1, r2         ; the low 32 bits of the sum
        shri r7, r3, 1
        bgeu r3, r1, .done      ; no carry out of bit 31
        li   r4, 0x80000000     ; the carry is bit 32 of the sum: bit 31 of the half
        or   r7, r7, r4
.done:  halt
