; p16 (Hacker's Delight P16, Gulwani et al. PLDI 2011):
;   maximum (signed).
; Definition (Python on unsigned 32-bit words, M = 0xFFFFFFFF):
;     r7 = max(signed(x), signed(y)) & M
;     signed(v) = v - 2**32 if v >= 2**31 else v
; Inputs: x = r1, y = r2. Result: r7 at halt.
; Holes: 4 whole instructions (k = 4, the shortest program known to us for ncpu32),
;   registers r0-r7, immediates -32..31.
; Note: `mul` by the 0/1 of `slt` selects; the paper's 5 uses neg and and.
        .holes regs r0-r7
        .holes imm -32:31
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        halt
