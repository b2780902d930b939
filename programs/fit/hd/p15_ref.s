; p15 reference: ceil((x + y) / 2) = floor((x + y + 1) / 2) for unsigned x = r1, y = r2,
; from the 33-bit sum x + y + 1
        li   r5, 0              ; r5 = the carry out of bit 31
        add  r3, r1, r2
        bgeu r3, r1, .one
        li   r5, 1
.one:   addi r3, r3, 1
        bnez r3, .half
        li   r5, 1              ; x + y + 1 = 2^32 exactly
.half:  shri r7, r3, 1
        beqz r5, .done
        li   r4, 0x80000000
        or   r7, r7, r4
.done:  halt
