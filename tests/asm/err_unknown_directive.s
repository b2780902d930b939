; Unknown directives, with the closest known one.
    .wrod 1
    .strng "x"
    .section text
    halt
; error@2:5: unknown directive `.wrod` (did you mean `.word`?)
; error@3:5: unknown directive `.strng` (did you mean `.string`?)
; error@4:5: unknown directive `.section`
