; A local label needs a global label above it.
.early: halt
    j .early
main: halt
.fine: halt
; error@2:1: misplaced local label `.early`
; error@3:7: undefined local label `.early` (no global label above it)
