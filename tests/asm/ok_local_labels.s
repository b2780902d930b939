; Local labels belong to the nearest global label; symbols are global.local.
first:
.loop: addi r1, r1, -1          ; => 0x40443FFF
    bnez r1, .loop              ; => 0xAC040000
.done: j .done                  ; => 0xA0000002
second:
.loop: addi r2, r2, -1          ; => 0x40883FFF
    bnez r2, .loop              ; => 0xAC080003
    beq r0, r0, first.done      ; => 0xA8000002
.done: .word .done, first.loop, second.loop; => 0x00000006 0x00000000 0x00000003
;! symbol first 0
;! symbol first.loop 0
;! symbol first.done 2
;! symbol second 3
;! symbol second.loop 3
;! symbol second.done 6
