; Mnemonics, registers, directives are case-insensitive; labels are case-sensitive.
Loop:
    ADD R1, Zero, SP            ; => 0x0443C000
    AddI r2, LR, 1              ; => 0x40B80001
    .WORD Loop, loop            ; => 0x00000000 0x00000004
loop:
    Halt                        ; => 0x00000000
;! symbol Loop 0
;! symbol loop 4
