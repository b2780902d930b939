; `.string`: one word per code point, then a 0 word; escapes.
    .string "Hi"                ; => 0x00000048 0x00000069 0x00000000
    .string ""                  ; => 0x00000000
    .string "a\nb\t\\\"\0;#"    ; => 0x00000061 0x0000000A 0x00000062 0x00000009 0x0000005C 0x00000022 0x00000000 0x0000003B 0x00000023 0x00000000
    .string "éπ"                ; => 0x000000E9 0x000003C0 0x00000000
