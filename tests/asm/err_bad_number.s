; Malformed numbers are named.
    .word 0xZZ
    .word 0b102
    .word 12abc
    .word 0x
    .word 0x1_0000_0000_0000_0000
    .word 0o8
; error@2:11: invalid number `0xZZ`
; error@3:11: invalid number `0b102`
; error@4:11: invalid number `12abc`
; error@5:11: invalid number `0x`
; error@6:11: does not fit in 64 bits
; error@7:11: invalid number `0o8`
