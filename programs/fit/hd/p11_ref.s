; p11 reference: r7 = 1 if nlz(x) < nlz(y) else 0, x = r1, y = r2; nlz counted by a bit loop
main:   mov  r10, r1
        call nlz
        mov  r8, r11            ; r8 = nlz(x)
        mov  r10, r2
        call nlz                ; r11 = nlz(y)
        li   r7, 1
        blt  r8, r11, .done
        li   r7, 0
.done:  halt
; nlz: r11 = the number of leading zeros of r10 (32 when r10 = 0); uses r12, r13
nlz:    li   r11, 0
        li   r12, 0x80000000    ; the bit under test, from the top down
.loop:  beqz r12, .ret
        and  r13, r10, r12
        bnez r13, .ret
        addi r11, r11, 1
        shri r12, r12, 1
        j    .loop
.ret:   ret
