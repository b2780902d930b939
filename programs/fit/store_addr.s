; store_addr: mem[45] = r1.
; Hole: the address of `st` (range 32..63; the code is words 0..1).
        st r1, ??[32:63](r0)
        halt
