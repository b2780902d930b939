; Holes with --keep-holes: 0 in the field, listed in image.holes.
;! keep-holes
    add ??, r2, r3              ; => 0x0408C000
    addi r1, r1, ??             ; => 0x40440000
    addi r1, r1, ??[-5:5]       ; => 0x40440000
    ?{add,sub,xor} r1, r2, r3   ; => 0x0048C000
    ld r4, ??(??)               ; => 0x81000000
    mov r5, ??                  ; => 0x41400000
    beq r1, r2, ??              ; => 0xA8048000
;! hole 0 register rd 0 15
;! hole 1 imm imm14 -8192 8191
;! hole 2 imm imm14 -5 5
;! hole 3 mnemonic op add,sub,xor
;! hole 4 imm imm14 -8192 8191
;! hole 4 register ra 0 15
;! hole 5 register ra 0 15
;! hole 6 imm imm14 0 16383
