; p24 (Hacker's Delight P24, Gulwani et al. PLDI 2011):
;   round up to the next power of 2 (unsigned).
; Definition (Python on unsigned 32-bit words, M = 0xFFFFFFFF):
;     r7 = (1 << (x - 1).bit_length()) & M if x else 0   # 0 for x > 2^31
; Inputs: x = r1. Result: r7 at halt.
; Holes: 12 whole instructions (k = 12, the shortest program known to us for ncpu32),
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
        halt
