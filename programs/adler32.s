; adler32.s — Adler-32 checksum.
; inputs:  r1 = 0: the built-in string "Wikipedia" (check value 0x11E60398);
;          r1 = n > 0: n bytes from the input stream (low 8 bits of each word)
; output:  out the Adler-32
        .equ MOD, 65521         ; the largest prime below 2^16
        .entry main
text:   .string "Wikipedia"

main:
        li   r2, 1              ; a
        li   r3, 0              ; b
        li   r9, MOD
        la   r4, text
        mov  r8, r1             ; r8 != 0: read from the input stream
.next:  beqz r8, .text
        beqz r1, .done
        in   r5
        subi r1, r1, 1
        j    .add
.text:  ld   r5, 0(r4)
        beqz r5, .done
        addi r4, r4, 1
.add:   andi r5, r5, 0xFF
        add  r2, r2, r5
        rem  r2, r2, r9         ; a = (a + byte) mod 65521
        add  r3, r3, r2
        rem  r3, r3, r9         ; b = (b + a) mod 65521
        j    .next
.done:  shli r3, r3, 16
        or   r2, r2, r3         ; b << 16 | a
        out  r2
        halt
