; An image that exactly fills --mem-words.
;! mem-words 16
    .zero 15                    ; => 0*15
    halt                        ; => 0x00000000
;! size 16
