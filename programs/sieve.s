; sieve.s — the sieve of Eratosthenes.
; inputs:  r1 = n (0..~950 with the default 1024 words: the flags live after the code)
; output:  out every prime p < n, ascending; r2 = how many
main:
        la   r5, flags          ; flags[i] != 0: i is composite (memory starts at 0)
        li   r2, 0              ; count
        li   r3, 2              ; i
.outer: bge  r3, r1, .done
        add  r6, r5, r3
        ld   r7, 0(r6)
        bne  r7, r0, .next      ; composite
        out  r3
        addi r2, r2, 1
        mul  r4, r3, r3         ; j = i * i
.inner: bge  r4, r1, .next
        add  r6, r5, r4
        li   r7, 1
        st   r7, 0(r6)          ; flags[j] = 1
        add  r4, r4, r3         ; j += i
        j    .inner
.next:  addi r3, r3, 1
        j    .outer
.done:  halt
flags:                          ; n words from here on
