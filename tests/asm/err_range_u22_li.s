; lui is unsigned; li needs -2^31..2^32-1; a forward li must fit imm22.
    lui r1, -1
    lui r1, 4194304
    li r1, 0x100000000
    li r2, -2147483649
    li r3, later + 3000000
later: halt
; error@2:13: immediate -1 out of range for `lui` (0..4194303)
; error@3:13: immediate 4194304 out of range for `lui` (0..4194303)
; error@4:12: value 4294967296 out of range for `li` (-2147483648..4294967295)
; error@5:12: value -2147483649 out of range for `li` (-2147483648..4294967295)
; error@6:12: immediate 3000007 out of range for `li` (-2097152..2097151; the value refers forward, so `li` takes its one-word form)
