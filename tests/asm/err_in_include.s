; Errors inside an included file carry that file's name and line.
    .include "inc/bad.s"
    bogus
; error@inc/bad.s:2:18: immediate 99999 out of range
; error@inc/bad.s:3:9: unknown register `r77`
; error@3:5: unknown mnemonic `bogus`
