; `.equ`, `.org` and `.zero` take no forward references.
.equ A, B + 1
.equ B, 2
    .zero later
later: halt
.equ C, nowhere
; error@2:9: `.equ` can't refer forward to `B` (define it above)
; error@4:11: `.zero` can't refer forward to `later`
; error@6:9: undefined label `nowhere`
