; p01 reference: clear the lowest set bit of x = r1, found by testing bits 0, 1, 2, ...
        mov  r7, r1
        li   r2, 1              ; the bit under test
.scan:  beqz r2, .done          ; every bit tested: x = 0, nothing to clear
        and  r3, r1, r2
        bnez r3, .found
        add  r2, r2, r2
        j    .scan
.found: xor  r7, r1, r2         ; clear it
.done:  halt
