; An include cycle is an error at the include that closes it.
    .include "inc/cycle_a.s"
    halt
; error@inc/cycle_b.s:2:10: include cycle: cycle_a.s -> cycle_b.s -> cycle_a.s
