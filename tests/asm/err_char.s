; Character literals: exactly one character, closed.
    .word ''
    .word 'ab'
    .word 'x
    .word '\z'
; error@2:11: empty character literal
; error@3:11: character literal holds more than one character
; error@4:11: unterminated character literal
; error@5:12: unknown escape `\z`
