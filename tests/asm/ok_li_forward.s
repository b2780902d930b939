; li whose value refers forward always takes its one-word form (ISA.md).
    li r1, later                ; => 0x60400004
    la r2, later                ; => 0x60800004
    li r3, later + 100          ; => 0x60C00068
    halt                        ; => 0x00000000
later: .word 7                  ; => 0x00000007
    li r4, later                ; => 0x61000004
.word later                     ; => 0x00000004
;! symbol later 4
