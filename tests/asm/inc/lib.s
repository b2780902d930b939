; included by ok_include.s and ok_include_nested.s
.equ LIB_K, 5
double:                         
    add r1, r1, r1              ; => 0x04444000
    ret                         ; => 0xA4380000
