; bubble_sort.s — reads n words, sorts them (signed, ascending), prints them.
; inputs:  r1 = n (0..~980); input stream: the n words (missing ones read as 0)
; output:  out the n words in ascending signed order
main:
        la   r5, arr
        li   r2, 0
.read:  bge  r2, r1, .sort      ; arr[0..n-1] = input
        in   r3
        add  r6, r5, r2
        st   r3, 0(r6)
        addi r2, r2, 1
        j    .read
.sort:  subi r8, r1, 1          ; r8 = pairs to compare in this pass
.pass:  ble  r8, r0, .print
        li   r9, 0              ; swapped?
        li   r2, 0              ; j
.cmp:   bge  r2, r8, .endpass
        add  r6, r5, r2
        ld   r3, 0(r6)          ; arr[j]
        ld   r4, 1(r6)          ; arr[j + 1]
        slt  r10, r4, r3
        beqz r10, .noswap       ; in order
        st   r4, 0(r6)
        st   r3, 1(r6)
        li   r9, 1
.noswap:
        addi r2, r2, 1
        j    .cmp
.endpass:
        beqz r9, .print         ; no swaps: sorted
        subi r8, r8, 1
        j    .pass
.print: li   r2, 0
.out:   bge  r2, r1, .done
        add  r6, r5, r2
        ld   r3, 0(r6)
        out  r3
        addi r2, r2, 1
        j    .out
.done:  halt
arr:                            ; n words from here on
