; Characters that start no token, and a label without a statement separator.
    add r1, r2, @r3
    $foo
x: y: halt
    halt
; error@2:17: unexpected character `@`
; error@3:5: unexpected character `$`
; error@4:5: unexpected `:`
