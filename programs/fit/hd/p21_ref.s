; p21 reference: the published cycling formula as branches, x = r1, a = r2, b = r3, c = r4:
; start from c; if x == c flip by a ^ c; if x == a flip by b ^ c
        mov  r7, r4
        bne  r1, r4, .not_c
        xor  r5, r2, r4
        xor  r7, r7, r5
.not_c: bne  r1, r2, .done
        xor  r5, r3, r4
        xor  r7, r7, r5
.done:  halt
