; `.entry` with a local label of the current global label.
main:
    nop                         ; => 0x04000000
.go:
    halt                        ; => 0x00000000
    .entry .go
;! entry 1
;! symbol main.go 1
