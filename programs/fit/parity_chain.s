; parity_chain: a chain of XORs, y_k = y_(k-1) ^ x_k ^ h_k (y_0 = 0), printing y_1..y_8,
; for input bits x_1..x_8 in r1..r8 and hidden bits h_1..h_8 (TerpreT parity-chain style;
; a negative control: XOR passes no gradient through the soft ALU).
; Holes: h_1..h_8, the immediates of eight `xori` (range 0..1 each).
        xor r9, r9, r1
        xori r9, r9, ??[0:1]
        out r9
        xor r9, r9, r2
        xori r9, r9, ??[0:1]
        out r9
        xor r9, r9, r3
        xori r9, r9, ??[0:1]
        out r9
        xor r9, r9, r4
        xori r9, r9, ??[0:1]
        out r9
        xor r9, r9, r5
        xori r9, r9, ??[0:1]
        out r9
        xor r9, r9, r6
        xori r9, r9, ??[0:1]
        out r9
        xor r9, r9, r7
        xori r9, r9, ??[0:1]
        out r9
        xor r9, r9, r8
        xori r9, r9, ??[0:1]
        out r9
        halt
