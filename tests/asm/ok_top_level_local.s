; Local labels before the first global label belong to the top-level scope:
; their symbol is the name as written (`.loop`); `.equ .n` there is `.n`.
    .equ .n, 3
.loop: addi r1, r1, -1          ; => 0x40443FFF
    bnez r1, .loop              ; => 0xAC040000
    li r2, .n                   ; => 0x60800003
    j main.done                 ; => 0xA0000006
main:
.loop: addi r2, r2, -1          ; => 0x40883FFF
    bnez r2, .loop              ; => 0xAC080004
.done: .word .done, main.loop   ; => 0x00000006 0x00000004
;! symbol .loop 0
;! symbol main 4
;! symbol main.loop 4
;! symbol main.done 6
