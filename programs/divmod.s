; divmod.s — signed division corner cases and unsigned comparisons, driven by the input.
; inputs:  input stream of pairs a, b; a = 0 (or the end of the input: eof) stops
; output:  first INT_MIN / -1 and INT_MIN rem -1 (INT_MIN built with lui), then per pair
;          a / b, a rem b, a sar b, sltu(a, b), max_unsigned(a, b), min_unsigned(a, b)
main:
        lui  r9, 0x200000       ; 0x200000 << 10 = 0x80000000 = INT_MIN
        li   r10, -1
        div  r1, r9, r10
        out  r1
        rem  r1, r9, r10
        out  r1
.pair:  in   r1
        beqz r1, .done          ; a = 0, or the input ran out
        in   r2
        div  r3, r1, r2
        out  r3
        rem  r3, r1, r2
        out  r3
        sar  r3, r1, r2
        out  r3
        sltu r3, r1, r2
        out  r3
        mov  r3, r1
        bgeu r1, r2, .max
        mov  r3, r2
.max:   out  r3                 ; max_unsigned
        mov  r3, r1
        bltu r1, r2, .min
        mov  r3, r2
.min:   out  r3                 ; min_unsigned
        j    .pair
.done:  halt
