; With --keep-holes: bad ranges, mixed formats, pseudos in a hole, holes in expressions.
;! keep-holes
    addi r1, r1, ??[0:9000]
    addi r1, r1, ??[5:1]
    ?{add,addi} r1, r2, r3
    ?{mov,add} r1, r2, r3
    subi r1, r2, ??
    .word ??*2
    .org ??
; error@3:18: hole range 0..9000 must lie within the range of `addi`'s imm14 field (-8192..8191)
; error@4:18: empty hole range 5..1: lo must not exceed hi
; error@5:5: the choices of a mnemonic hole must share one format
; error@6:7: `mov` can't be a mnemonic-hole choice (a pseudo-instruction)
; error@7:18: a hole `??` can't be used here: `subi` expands to `addi rd, ra, -imm`
; error@8:11: a hole `??` can't be used here
; error@9:10: `.org` can't take a hole
