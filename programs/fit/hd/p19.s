; p19 (Hacker's Delight P19, Gulwani et al. PLDI 2011):
;   exchange two bit-fields (m: mask of the lower one, k: their distance).
; Definition (Python on unsigned 32-bit words, M = 0xFFFFFFFF):
;     t = ((x ^ (x >> (k & 31))) & m)
;     r7 = (x ^ t ^ (t << (k & 31))) & M
; Inputs: x = r1, m = r2, k = r3. Result: r7 at halt.
; Holes: 6 whole instructions (k = 6, the shortest program known to us for ncpu32),
;   registers r0-r7, immediates -32..31.
; Note: the published formula on all inputs (a swap where the fields do not overlap).
        .holes regs r0-r7
        .holes imm -32:31
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        halt
