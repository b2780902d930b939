; `.entry`: one only, defined, inside memory.
.entry main
.entry main
.entry nowhere
main: halt
; error@3:1: duplicate `.entry`
; note@2:1: the first `.entry` is here
; error@4:1: duplicate `.entry`
; note@2:1: the first `.entry` is here
