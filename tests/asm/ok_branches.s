; B format: every branch, absolute targets (labels and numbers).
top:
    beq r1, r2, top             ; => 0xA8048000
    bne r3, r4, end             ; => 0xAC0D0007
    blt r5, r6, 3               ; => 0xB0158003
    bge r7, r8, top+1           ; => 0xB41E0001
    bltu r9, r10, 16383         ; => 0xB826BFFF
    bgeu r11, r12, end          ; => 0xBC2F0007
    beq zero, zero, 0           ; => 0xA8000000
end:
    halt                        ; => 0x00000000
;! symbol top 0
;! symbol end 7
