; `.entry label` sets the entry point.
.entry main
    .word 1, 2, 3               ; => 0x00000001 0x00000002 0x00000003
main:
    halt                        ; => 0x00000000
;! entry 3
