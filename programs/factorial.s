; factorial.s — n! by recursion: every call saves lr and n on the stack.
; inputs:  r1 = n (0..~400 with the default 1024 words; n! wraps modulo 2^32 past 12!)
; output:  out n!; r2 = n!
        .entry main

; fact: r1 = n -> r2 = n!   (clobbers r1, r3)
fact:
        li   r3, 1
        ble  r1, r3, .base      ; n <= 1: 1
        push lr
        push r1
        subi r1, r1, 1
        call fact               ; r2 = (n - 1)!
        pop  r1
        pop  lr
        mul  r2, r2, r1         ; n * (n - 1)!
        ret
.base:
        li   r2, 1
        ret

main:
        jal  lr, fact           ; the same as `call fact`
        out  r2
        halt
