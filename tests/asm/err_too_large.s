; No image may be larger than 65536 words.
    .org 65530
    .zero 10
    .zero 70000
    .org 70000
; error@3:5: program does not fit: it needs address 65539, but the largest memory has 65536 words (0..65535)
; error@4:11: `.zero` count 70000 out of range (0..65536)
; error@5:10: `.org` address 70000 is outside memory (0..65535)
