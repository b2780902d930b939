; Labels in expressions: differences, offsets into tables.
    li r1, end - table          ; => 0x60400003
    ld r2, table + 1(r0)        ; => 0x80800004
    halt                        ; => 0x00000000
table: .word 10, 20, 30         ; => 0x0000000A 0x00000014 0x0000001E
end:
;! symbol table 3
;! symbol end 6
