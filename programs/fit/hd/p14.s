; p14 (Hacker's Delight P14, Gulwani et al. PLDI 2011):
;   floor of the average, no overflow (unsigned).
; Definition (Python on unsigned 32-bit words, M = 0xFFFFFFFF):
;     r7 = (x + y) >> 1   # the sum has 33 bits
; Inputs: x = r1, y = r2. Result: r7 at halt.
; Holes: 4 whole instructions (k = 4, the shortest program known to us for ncpu32),
;   registers r0-r7, immediates -32..31.
        .holes regs r0-r7
        .holes imm -32:31
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        halt
