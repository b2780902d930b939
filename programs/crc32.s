; crc32.s — CRC-32 (the zlib/PNG one: reflected, polynomial 0xEDB88320), bit by bit.
; inputs:  r1 = 0: the built-in string "123456789" (check value 0xCBF43926);
;          r1 = n > 0: n bytes from the input stream (low 8 bits of each word)
; output:  out the CRC-32
        .equ POLY, 0xEDB88320
        .entry main
text:   .string "123456789"

main:
        li   r2, -1             ; crc = 0xFFFFFFFF
        li   r9, POLY           ; lui + ori
        la   r3, text
        mov  r8, r1             ; r8 != 0: read from the input stream
.next:  beqz r8, .text
        beqz r1, .done
        in   r4
        subi r1, r1, 1
        j    .byte
.text:  ld   r4, 0(r3)
        beqz r4, .done
        addi r3, r3, 1
.byte:  andi r4, r4, 0xFF
        xor  r2, r2, r4
        li   r5, 8
.bit:   andi r6, r2, 1
        neg  r6, r6             ; 0 or all ones
        and  r6, r6, r9
        shri r2, r2, 1
        xor  r2, r2, r6         ; crc = (crc >> 1) ^ (POLY if crc & 1)
        subi r5, r5, 1
        bnez r5, .bit
        j    .next
.done:  not  r2, r2
        out  r2
        halt
