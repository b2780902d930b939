; Comments with ; and #, blank lines, label-only lines, several labels at one address.
# a hash comment
; a semicolon comment

a:
b:      # two labels, one address

    add r1, r2, r3 # trailing hash; => 0x0448C000
    sub r1, r2, r3              ; => 0x0848C000
c:
;! symbol a 0
;! symbol b 0
;! symbol c 2
