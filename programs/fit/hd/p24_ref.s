; p24 reference: the smallest power of two >= unsigned x = r1, by doubling; 0 when x = 0
; and when x > 2^31 (2^32 wraps to 0)
        li   r7, 0
        beqz r1, .done
        li   r7, 1
.loop:  bgeu r7, r1, .done      ; 2^i >= x
        add  r7, r7, r7
        beqz r7, .done          ; doubled past bit 31
        j    .loop
.done:  halt
