; An image larger than --mem-words is an error at the first word that does not fit.
;! mem-words 16
    .zero 15
    halt
    halt
    halt
; error@5:5: program does not fit: it needs address 16, but memory has 16 words (--mem-words 16)
