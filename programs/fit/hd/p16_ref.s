; p16 reference: the larger of signed x = r1, y = r2
        mov  r7, r1
        bge  r1, r2, .done
        mov  r7, r2
.done:  halt
