; memcpy.s — copies words from `src` to `dst` with a memcpy routine.
; inputs:  r1 = number of words to copy (0..LEN)
; output:  out dst[0..LEN-1] and the guard word after dst (which must survive)
        .equ LEN, 8
main:
        mov  r3, r1             ; count
        la   r1, dst
        la   r2, src
        call memcpy
        la   r4, dst
        li   r5, LEN + 1        ; dst and its guard
.print: beqz r5, .done
        ld   r6, 0(r4)
        out  r6
        addi r4, r4, 1
        subi r5, r5, 1
        j    .print
.done:  halt

; memcpy: r1 = destination, r2 = source, r3 = count in words (clobbers r1..r3, r7)
memcpy:
.loop:  ble  r3, r0, .end
        ld   r7, 0(r2)
        st   r7, 0(r1)
        addi r1, r1, 1
        addi r2, r2, 1
        subi r3, r3, 1
        j    .loop
.end:   ret

        .org 0x40               # data from address 64 on
src:    .word 0xDEADBEEF, 1, -2, 3, 'A', 0b1010, 0o17, 1_000_000
dst:    .zero LEN
guard:  .word 0x12345678
