; p18 reference: 1 if unsigned x = r1 is a power of two (exactly one bit set), else 0;
; the bits are counted by a loop
        li   r3, 0              ; the count
        mov  r2, r1
.loop:  beqz r2, .test
        andi r4, r2, 1
        add  r3, r3, r4
        shri r2, r2, 1
        j    .loop
.test:  li   r7, 1
        addi r3, r3, -1
        beqz r3, .done
        li   r7, 0
.done:  halt
