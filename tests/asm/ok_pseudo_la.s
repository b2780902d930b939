; la loads a label's address (li rd, label).
start:
    la r1, msg                  ; => 0x60400003
    la r2, start                ; => 0x60800000
    halt                        ; => 0x00000000
msg: .word 0x41                 ; => 0x00000041
    la r3, msg                  ; => 0x60C00003
;! symbol start 0
;! symbol msg 3
