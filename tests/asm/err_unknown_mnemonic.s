; Unknown mnemonics, with the closest known one (pseudos and directives too).
loop: ad r1, r2, r3
    mvo r1, r2
    hlat
    xyzzy r1
    push r1
; error@2:7: unknown mnemonic `ad` (did you mean `add`?)
; error@3:5: unknown mnemonic `mvo` (did you mean `mov`?)
; error@4:5: unknown mnemonic `hlat` (did you mean `halt`?)
; error@5:5: unknown mnemonic `xyzzy`
