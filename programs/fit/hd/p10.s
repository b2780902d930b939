; p10 (Hacker's Delight P10, Gulwani et al. PLDI 2011):
;   test nlz(x) == nlz(y).
; Definition (Python on unsigned 32-bit words, M = 0xFFFFFFFF):
;     r7 = int(nlz(x) == nlz(y))   # nlz(v) = 32 - v.bit_length()
;     nlz(v) = 32 - v.bit_length()   (the number of leading zeros; 32 for 0)
; Inputs: x = r1, y = r2. Result: r7 at halt.
; Holes: 4 whole instructions (k = 4, the shortest program known to us for ncpu32),
;   registers r0-r7, immediates -32..31.
; Note: no `sleu`: (x ^ y) <=u (x & y) costs a compare and a flip.
        .holes regs r0-r7
        .holes imm -32:31
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        halt
