; gcd.s — greatest common divisor by Euclid's algorithm (remainders).
; inputs:  r1 = a, r2 = b (any signs except -2^31; gcd(0, 0) = 0)
; output:  out gcd(|a|, |b|); r1 = the gcd
main:
        bge  r1, r0, .a_ok
        neg  r1, r1             ; a = |a|
.a_ok:  bge  r2, r0, .loop
        neg  r2, r2             ; b = |b|
.loop:  beqz r2, .done          ; gcd(a, 0) = a
        rem  r3, r1, r2
        mov  r1, r2
        mov  r2, r3
        j    .loop
.done:  out  r1
        halt
