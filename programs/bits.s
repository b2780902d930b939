; bits.s — rotations, bit reversal and parity of a word.
; inputs:  r1 = x, r2 = k (any value; rotations use k mod 32)
; output:  out rotl(x, k), rotr(x, k), the bit-reversed x, parity(x)
main:
        shl  r3, r1, r2
        li   r4, 32
        sub  r4, r4, r2         ; shifts use (32 - k) & 31; for k = 0 that is 0 and x | x = x
        shr  r5, r1, r4
        or   r3, r3, r5
        out  r3                 ; rotl
        shr  r3, r1, r2
        shl  r5, r1, r4
        or   r3, r3, r5
        out  r3                 ; rotr
        li   r3, 0              ; reversed
        li   r6, 0              ; parity
        li   r7, 32
        mov  r5, r1
.bit:   shli r3, r3, 1
        andi r4, r5, 1
        beqz r4, .zero
        ori  r3, r3, 1
        xori r6, r6, 1
.zero:  shri r5, r5, 1
        subi r7, r7, 1
        bnez r7, .bit
        out  r3
        out  r6
        halt
