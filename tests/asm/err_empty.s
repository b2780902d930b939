; A file with no instructions or data is an error (see isa/INTERPRETATIONS.md).
; only comments and labels
label_only:
.equ NOTHING, 0
; error@1:1: empty program: no instructions or data
