; included by inc/outer.s
inner: .word 0x7                ; => 0x00000007
.equ INNER, 7
