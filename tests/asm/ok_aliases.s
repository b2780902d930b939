; Register aliases zero = r0, lr = r14, sp = r15.
    add zero, lr, sp            ; => 0x043BC000
    add r0, r14, r15            ; => 0x043BC000
    jalr lr, sp, 0              ; => 0xA7BC0000
