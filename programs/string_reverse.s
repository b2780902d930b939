; string_reverse.s — reverses a .string in place, then prints it.
; inputs:  none
; output:  out the code points of "Hello, ncpu!" reversed, one word each;
;          memory at `text` holds the reversed string afterwards
        .entry main
text:   .string "Hello, ncpu!"

main:
        la   r1, text
        call strlen             ; r2 = length
        la   r3, text           ; left end
        add  r4, r3, r2
        subi r4, r4, 1          ; right end
.swap:  bge  r3, r4, .print
        ld   r5, 0(r3)
        ld   r6, 0(r4)
        st   r6, 0(r3)
        st   r5, 0(r4)
        addi r3, r3, 1
        subi r4, r4, 1
        j    .swap
.print: la   r3, text
.loop:  ld   r5, 0(r3)
        beqz r5, .done
        out  r5
        addi r3, r3, 1
        j    .loop
.done:  halt

; strlen: r1 = address of a 0-terminated string -> r2 = its length (clobbers r3)
strlen:
        mov  r2, r1
.scan:  ld   r3, 0(r2)
        beqz r3, .end
        addi r2, r2, 1
        j    .scan
.end:   sub  r2, r2, r1
        ret
