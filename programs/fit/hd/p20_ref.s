; p20 reference: the next larger unsigned word with as many 1 bits as x = r1, by bit loops:
; find the lowest run of 1s (bits t .. t+c-1), set bit t+c, clear the run, and put its other
; c-1 ones at the bottom. Where the run reaches bit 31 (no larger word exists) the result is
; what the HD formula gives: 2^(c-2) - 1 (0 when c = 1); for x = 0 it gives 0xFFFFFFFF.
        li   r7, -1
        beqz r1, .done
        li   r2, 1              ; r2 = the bit under test
.find:  and  r3, r1, r2
        bnez r3, .run
        add  r2, r2, r2
        j    .find
.run:   li   r4, 0              ; r4 = the bottom mask 2^(c-1) - 1 (grows by one bit per extra 1)
        mov  r7, r1
.runl:  xor  r7, r7, r2         ; clear this bit of the run
        add  r2, r2, r2
        beqz r2, .wrap          ; the run reached bit 31
        and  r3, r1, r2
        beqz r3, .end           ; bit t+c is 0: the run ended
        add  r4, r4, r4         ; one more 1 at the bottom
        ori  r4, r4, 1
        j    .runl
.end:   or   r7, r7, r2         ; set bit t+c
        or   r7, r7, r4
        j    .done
.wrap:  shri r7, r4, 1          ; no larger word: 2^(c-2) - 1 (the carry is lost)
.done:  halt
