; p04 (Hacker's Delight P4, Gulwani et al. PLDI 2011):
;   mask of the rightmost 1 bit and the trailing 0s.
; Definition (Python on unsigned 32-bit words, M = 0xFFFFFFFF):
;     r7 = (x ^ (x - 1)) & M
; Inputs: x = r1. Result: r7 at halt.
; Holes: 2 whole instructions (k = 2, the shortest program known to us for ncpu32),
;   registers r0-r7, immediates -32..31.
        .holes regs r0-r7
        .holes imm -32:31
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        halt
