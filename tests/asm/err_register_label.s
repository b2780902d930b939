; Register names can't be labels or constants.
sp: halt
R3: halt
.equ lr, 4
; error@2:1: `sp` is a register name and can't be a label
; error@3:1: `R3` is a register name and can't be a label
; error@4:6: `.equ` needs a name first, got `lr`
