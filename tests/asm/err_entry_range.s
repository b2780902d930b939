; `.entry` outside memory.
;! mem-words 16
.entry 100
    halt
; error@3:8: entry point 100 is outside memory (0..15)
