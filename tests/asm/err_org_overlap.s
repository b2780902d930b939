; `.org` back into memory that is already used: words can never overlap.
    .org 10
    halt
    .org 5
    .zero 10
; error@4:10: `.org 5` goes backwards over words already placed (address 10)
; note@3:5: address 10 was placed here
