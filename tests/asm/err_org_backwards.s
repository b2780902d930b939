; `.org` must not go back over words already placed.
    .word 1, 2, 3
    .org 1
    .org 10
    .word 4
    .org 5
    .org -1
    .org later
later: halt
; error@3:10: `.org 1` goes backwards over words already placed (address 1)
; note@2:5: address 1 was placed here
; error@6:10: `.org 5` goes backwards over words already placed (address 10)
; note@5:5: address 10 was placed here
; error@7:10: `.org` address -1 is outside memory (0..65535)
; error@8:10: `.org` can't refer forward to `later` (define it above)
