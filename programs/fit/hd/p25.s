; p25 (Hacker's Delight P25, Gulwani et al. PLDI 2011):
;   high 32 bits of the unsigned 64-bit product.
; Definition (Python on unsigned 32-bit words, M = 0xFFFFFFFF):
;     r7 = (x * y) >> 32
; Inputs: x = r1, y = r2, r3 = 0xFFFF. Result: r7 at halt.
; Holes: 16 whole instructions (k = 16, the shortest program known to us for ncpu32),
;   registers r0-r7, immediates -32..31.
        .holes regs r0-r7
        .holes imm -32:31
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        halt
