; collatz.s — counts the steps of the Collatz map n -> n/2 | 3n+1 down to 1.
; inputs:  r1 = n (n < 2 takes no steps; keep 3n+1 below 2^31)
; output:  out the number of steps; r2 = the same
main:
        li   r2, 0
.loop:  slti r4, r1, 2
        bnez r4, .done          ; n < 2
        andi r4, r1, 1
        beqz r4, .even
        shli r4, r1, 1          ; odd: n = 2n + n + 1
        add  r1, r4, r1
        addi r1, r1, 1
        j    .count
.even:  sari r1, r1, 1          ; even: n = n / 2
.count: addi r2, r2, 1
        j    .loop
.done:  out  r2
        halt
