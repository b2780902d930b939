; p20 (Hacker's Delight P20, Gulwani et al. PLDI 2011):
;   next higher unsigned number with the same number of 1 bits.
; Definition (Python on unsigned 32-bit words, M = 0xFFFFFFFF):
;     s = x & -x & M
;     r = (x + s) & M
;     r7 = r | (((x ^ r) >> 2) // s if s else M)   # x = 0 gives 0xFFFFFFFF
; Inputs: x = r1. Result: r7 at halt.
; Holes: 7 whole instructions (k = 7, the shortest program known to us for ncpu32),
;   registers r0-r7, immediates -32..31.
;   The library has `div` added: ncpu32 has no unsigned division, but here the
;   dividend is < 2^30 and the divisor a power of two, where signed = unsigned.
; Note: Hacker's Delight snoob: x ^ r, where the published listing has x ^ s.
        .holes regs r0-r7
        .holes imm -32:31
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,div,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,div,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,div,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,div,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,div,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,div,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        ?{add,sub,and,or,xor,shl,shr,sar,slt,sltu,mul,div,addi,andi,ori,xori,shli,shri,sari,slti,nop}
        halt
