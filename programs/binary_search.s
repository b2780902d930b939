; binary_search.s — looks a key up in a sorted table.
; inputs:  r1 = key
; output:  out the index of key in `table`, or -1 when it is not there
        .equ COUNT, 16
        .entry main
table:  .word -100, -42, -7, 0, 1, 3, 8, 13, 21, 34, 55, 89, 144, 233, 377, 0x7FFFFFFF

main:
        la   r5, table
        li   r2, 0              ; lo
        li   r3, COUNT - 1      ; hi
.loop:  bgt  r2, r3, .missing
        add  r4, r2, r3
        shri r4, r4, 1          ; mid = (lo + hi) / 2
        add  r6, r5, r4
        ld   r7, 0(r6)
        beq  r7, r1, .found
        blt  r7, r1, .right
        subi r3, r4, 1          ; key < table[mid]: hi = mid - 1
        j    .loop
.right: addi r2, r4, 1          ; key > table[mid]: lo = mid + 1
        j    .loop
.found: out  r4
        halt
.missing:
        li   r4, -1
        out  r4
        halt
