; mn_imm: r2 = r1 OR 37, the operation and its constant both unknown.
; Holes: the mnemonic (addi, andi, ori, xori) and its immediate (range 0..63).
        ?{addi,andi,ori,xori} r2, r1, ??[0:63]
        halt
