; `.equ` constants: expressions over earlier constants and labels.
.equ A, 10
.equ B, A * 2 + 1
.equ MASK, (1 << 4) - 1
start:
.equ HERE, start + 1
    addi r1, r0, B              ; => 0x40400015
    andi r2, r2, MASK           ; => 0x4488000F
    li r3, HERE                 ; => 0x60C00001
    .word A, B, MASK, HERE      ; => 0x0000000A 0x00000015 0x0000000F 0x00000001
