; Duplicate labels and names, with a note where the first one is.
start: halt
start: halt
.x: halt
.x: halt
.equ K, 1
.equ K, 2
K: halt
; error@3:1: duplicate label `start`
; note@2:1: `start` first defined here
; error@5:1: duplicate label `start.x`
; note@4:1: `start.x` first defined here
; error@7:6: duplicate name `K`
; note@6:6: `K` first defined here
; error@8:1: duplicate label `K`
; note@6:6: `K` first defined here
