; A local label before the first global label is top-level (ISA.md); under a
; global label the same local name means that label's local, a different one.
.early: halt
    j .early
main: halt
    j .early
.fine: halt
    .equ .k, 1
other: li r1, .k
; error@6:7: undefined label `.early`: under `main` it means `main.early`
; error@9:15: undefined label `.k`
