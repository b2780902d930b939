; Unterminated strings and bad escapes.
    .string "abc
    .string "ok\q"
    .string "tail\
    halt
; error@2:13: unterminated string (missing closing ")
; error@3:16: unknown escape `\q`
; error@4:13: unterminated string
