; Immediates out of range name the instruction and the range.
    addi r1, r2, 9000
    andi r1, r2, -8193
    ld r1, 8192(r2)
    st r1, -9000(r2)
    subi r1, r2, 9000
    jalr r0, lr, 10000
    shli r1, r1, 1 << 20
; error@2:18: immediate 9000 out of range for `addi` (-8192..8191)
; error@3:18: immediate -8193 out of range for `andi` (-8192..8191)
; error@4:12: offset 8192 out of range for `ld` (-8192..8191)
; error@5:12: offset -9000 out of range for `st` (-8192..8191)
; error@6:18: immediate 9000 out of range for `subi` (-8191..8192)
; error@7:18: immediate 10000 out of range for `jalr` (-8192..8191)
; error@8:18: immediate 1048576 out of range for `shli` (-8192..8191)
