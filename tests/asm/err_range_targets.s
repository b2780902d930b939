; Branch targets are 0..16383, jal targets 0..4194303.
    beq r1, r2, 16384
    bne r1, r2, -1
    beqz r1, 20000
    jal r0, -1
    jal lr, 4194304
    j 1 << 22
; error@2:17: branch target 16384 out of range for `beq` (0..16383)
; error@3:17: branch target -1 out of range for `bne` (0..16383)
; error@4:14: branch target 20000 out of range for `beqz` (0..16383)
; error@5:13: jump target -1 out of range for `jal` (0..4194303)
; error@6:13: jump target 4194304 out of range for `jal` (0..4194303)
; error@7:7: jump target 4194304 out of range for `j` (0..4194303)
