; p09 reference: |x| for signed x = r1 (wraps: |INT_MIN| = INT_MIN)
        mov  r7, r1
        bge  r1, r0, .done
        sub  r7, r0, r1
.done:  halt
