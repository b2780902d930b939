; Nested includes resolve relative to the including file.
    .include "inc/outer.s"
    .word OUTER                 ; => 0x00000002
