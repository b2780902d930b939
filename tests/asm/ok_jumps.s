; J format jal (u22 target) and I format jalr.
    jal lr, func                ; => 0xA3800004
    jal r0, 4194303             ; => 0xA03FFFFF
    jalr r0, lr, 0              ; => 0xA4380000
    halt                        ; => 0x00000000
func:
    jalr r5, r6, -2             ; => 0xA5583FFE
