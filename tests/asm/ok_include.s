; `.include` splices a file in; its lines keep their own file:line.
    call double                 ; => 0xA3800002
    halt                        ; => 0x00000000
    .include "inc/lib.s"
    .word LIB_K                 ; => 0x00000005
;! symbol double 2
