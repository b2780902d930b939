; `.org` may move back while it passes no placed word (nothing is placed above 3 yet).
    .word 0, 1, 2, 3            ; => 0x00000000 0x00000001 0x00000002 0x00000003
    .org 10
    .org 4
    .word 4                     ; => 0x00000004
;! size 5
