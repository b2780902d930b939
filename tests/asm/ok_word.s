; `.word`: -2^31..2^32-1, so -1 and 0xFFFFFFFF give the same word; labels.
here:
    .word 0, 1, -1, 0xFFFFFFFF  ; => 0x00000000 0x00000001 0xFFFFFFFF 0xFFFFFFFF
    .word -2147483648, 4294967295; => 0x80000000 0xFFFFFFFF
    .word here, there, there - here; => 0x00000000 0x00000009 0x00000009
there:
    .word 'A', -'A'             ; => 0x00000041 0xFFFFFFBF
