; `.org` moves forward; the gap is unplaced (zero) and not in the source map.
    j main                      ; => 0xA0000010
    .org 0x10
main:
    halt                        ; => 0x00000000
    .org main + 4
    .word 1, 2                  ; => 0x00000001 0x00000002
;! size 22
;! symbol main 16
