; Loads and stores: imm(ra), negative and expression offsets, (ra) shorthand.
.equ OFF, 3
    ld r1, 0(r2)                ; => 0x80480000
    ld r3, -4(sp)               ; => 0x80FC3FFC
    ld r4, OFF*2+1(r5)          ; => 0x81140007
    ld r6, (r7)                 ; => 0x819C0000
    ld r8, 8191(zero)           ; => 0x82001FFF
    ld r9, -8192(r1)            ; => 0x82442000
    st r1, 0(r2)                ; => 0x84084000
    st r3, -1(sp)               ; => 0x843CFFFF
    st r4, (r5)                 ; => 0x84150000
    st lr, (OFF)(sp)            ; => 0x843F8003
    ld r2, data(r0)             ; => 0x8080000C
    halt                        ; => 0x00000000
data: .word 42                  ; => 0x0000002A
;! symbol data 12
