; Pseudo-instructions j, call, ret, jr, beqz, bnez, bgt, ble.
start:
    j start                     ; => 0xA0000000
    call f                      ; => 0xA3800009
    ret                         ; => 0xA4380000
    jr r7                       ; => 0xA41C0000
    beqz r1, start              ; => 0xA8040000
    bnez r2, f                  ; => 0xAC080009
    bgt r3, r4, f               ; => 0xB010C009
    ble r5, r6, start           ; => 0xB4194000
    halt                        ; => 0x00000000
f:
    ret                         ; => 0xA4380000
