; popcount.s — counts the one bits of a word, twice: a bit loop and the SWAR trick.
; inputs:  r1 = x
; output:  out popcount(x) from the loop, then popcount(x) from SWAR (equal)
main:
        mov  r2, r1
        li   r3, 0
.loop:  beqz r2, .swar
        andi r4, r2, 1
        add  r3, r3, r4
        shri r2, r2, 1
        j    .loop
.swar:  out  r3
        li   r5, 0x55555555     ; too big for one `li`: lui + ori
        shri r4, r1, 1
        and  r4, r4, r5
        sub  r2, r1, r4         ; 2-bit sums
        li   r5, 0x33333333
        and  r4, r2, r5
        shri r2, r2, 2
        and  r2, r2, r5
        add  r2, r2, r4         ; 4-bit sums
        shri r4, r2, 4
        add  r2, r2, r4
        li   r5, 0x0F0F0F0F
        and  r2, r2, r5         ; 8-bit sums
        li   r5, 0x01010101
        mul  r2, r2, r5
        shri r2, r2, 24         ; the top byte adds them all
        out  r2
        halt
