; parity_select: r9 = XOR of the input bits x_i (r1..r8) picked by mask bits m_i, i.e. the
; parity of x & m (sparse parity; a negative control: AND and XOR pass no gradient through the
; soft ALU). Eight examples whose inputs are independent over GF(2) fix m.
; Holes: m_1..m_8, the immediates of eight `andi` (range 0..1 each).
        andi r1, r1, ??[0:1]
        andi r2, r2, ??[0:1]
        andi r3, r3, ??[0:1]
        andi r4, r4, ??[0:1]
        andi r5, r5, ??[0:1]
        andi r6, r6, ??[0:1]
        andi r7, r7, ??[0:1]
        andi r8, r8, ??[0:1]
        xor r9, r1, r2
        xor r9, r9, r3
        xor r9, r9, r4
        xor r9, r9, r5
        xor r9, r9, r6
        xor r9, r9, r7
        xor r9, r9, r8
        halt
