; p18 (Hacker's Delight P18, Gulwani et al. PLDI 2011):
;   test whether unsigned x is a power of 2.
; Definition (Python on unsigned 32-bit words, M = 0xFFFFFFFF):
;     r7 = int(x != 0 and x & (x - 1) == 0)
; Inputs: x = r1. Result: r7 at halt.
; Holes: 3 whole instructions (k = 3, the shortest program known to us for ncpu32),
;   registers r0-r7, immediates -32..31.
; Note: x - 1 <u x ^ (x - 1) holds exactly for powers of two; the paper's 6 uses redor.
        .holes regs r0-r7
        .holes imm -32:31
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        halt
