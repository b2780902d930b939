; p22 reference: the parity of x = r1 (1 if it has an odd number of 1 bits), bit by bit;
; r2 holds the constant 0x11111111 for the sketch and is not used here
        li   r7, 0
        mov  r3, r1
.loop:  beqz r3, .done
        andi r4, r3, 1
        xor  r7, r7, r4
        shri r3, r3, 1
        j    .loop
.done:  halt
