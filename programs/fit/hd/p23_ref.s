; p23 reference: the number of 1 bits of x = r1, bit by bit; r2..r5 hold the constants
; 0x55555555, 0x33333333, 0x0F0F0F0F, 0x01010101 for the sketch and are not used here
        li   r7, 0
        mov  r3, r1
.loop:  beqz r3, .done
        andi r4, r3, 1
        add  r7, r7, r4
        shri r3, r3, 1
        j    .loop
.done:  halt
