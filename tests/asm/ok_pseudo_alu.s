; Pseudo-instructions nop, mov, not, neg, subi.
    nop                         ; => 0x04000000
    mov r1, r2                  ; => 0x40480000
    not r3, r4                  ; => 0x4CD03FFF
    neg r5, r6                  ; => 0x09418000
    subi r7, r8, 5              ; => 0x41E03FFB
    subi r7, r8, -8191          ; => 0x41E01FFF
    subi r9, sp, 8192           ; => 0x427C2000
    MOV R1, SP                  ; => 0x407C0000
