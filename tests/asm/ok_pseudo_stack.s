; push and pop expand to two words each.
    push r1                     ; => 0x43FC3FFF 0x843C4000
    push lr                     ; => 0x43FC3FFF 0x843F8000
    pop r2                      ; => 0x80BC0000 0x43FC0001
    pop lr                      ; => 0x83BC0000 0x43FC0001
    halt                        ; => 0x00000000
;! size 9
