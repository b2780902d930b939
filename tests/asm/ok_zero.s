; `.zero n` places n zero words (each in the source map).
.equ N, 3
    .word 7                     ; => 0x00000007
    .zero 4                     ; => 0*4
    .zero N - 1                 ; => 0*2
    .zero 0                     ; => 
after: .word 9                  ; => 0x00000009
;! symbol after 7
