; fn_mul_add: f(x) = 3*x + 5 in r2 for x in r1, from an operation and constant per instruction.
; Holes: K (`li`, range 0..15), the mnemonic combining r1 and K (add, sub, mul), the mnemonic
; of the last instruction (addi, xori, andi, ori) and its immediate (range 0..15).
        li r3, ??[0:15]
        ?{add,sub,mul} r2, r1, r3
        ?{addi,xori,andi,ori} r2, r2, ??[0:15]
        halt
