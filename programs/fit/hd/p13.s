; p13 (Hacker's Delight P13, Gulwani et al. PLDI 2011):
;   sign function.
; Definition (Python on unsigned 32-bit words, M = 0xFFFFFFFF):
;     r7 = (1 if signed(x) > 0 else -1 if signed(x) < 0 else 0) & M
;     signed(v) = v - 2**32 if v >= 2**31 else v
; Inputs: x = r1. Result: r7 at halt.
; Holes: 3 whole instructions (k = 3, the shortest program known to us for ncpu32),
;   registers r0-r7, immediates -32..31.
; Note: `slt` makes it 3 instead of the paper's 4.
        .holes regs r0-r7
        .holes imm -32:31
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        halt
