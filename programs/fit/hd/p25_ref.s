; p25 reference: the high 32 bits of the unsigned 64-bit product x * y (x = r1, y = r2) by
; shift-and-add over the bits of y into a two-word sum r7:r8; r3 holds 0xFFFF for the sketch
        li   r7, 0              ; the sum, high word
        li   r8, 0              ; the sum, low word
        li   r9, 0              ; x << i, high word
        mov  r10, r1            ; x << i, low word
        mov  r11, r2            ; the bits of y not yet used
.loop:  beqz r11, .done
        andi r12, r11, 1
        beqz r12, .shift
        add  r8, r8, r10        ; add x << i to the sum, with the carry
        sltu r12, r8, r10
        add  r7, r7, r9
        add  r7, r7, r12
.shift: shri r13, r10, 31       ; double x << i over both words
        add  r9, r9, r9
        or   r9, r9, r13
        add  r10, r10, r10
        shri r11, r11, 1
        j    .loop
.done:  halt
