; `.word` values must lie in -2^31..2^32-1.
    .word 0x100000000, -2147483649, 1
    .word 1 << 40
; error@2:11: value 4294967296 out of range for `.word` (-2147483648..4294967295)
; error@2:24: value -2147483649 out of range for `.word` (-2147483648..4294967295)
; error@3:11: value 1099511627776 out of range for `.word`
