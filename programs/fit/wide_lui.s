; wide_lui: r2 = r1 + 0x12345678, the 32-bit constant built by `lui` + `ori`.
; Holes: the upper 22 bits (`lui`, range 0..4194303) and the low 10 bits (`ori`, range 0..1023).
        lui r3, ??
        ori r3, r3, ??[0:1023]
        add r2, r1, r3
        halt
