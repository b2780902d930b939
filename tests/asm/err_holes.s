; Holes without --keep-holes are an error at each hole.
    add ??, r2, r3
    addi r1, r1, ??[0:5]
    ?{add,sub} r1, r2, r3
    mov r1, ??
; error@2:9: hole `??` needs --keep-holes (holes are for `ncpu fit`)
; error@3:18: hole `??` needs --keep-holes
; error@4:5: hole `?{...}` needs --keep-holes
; error@5:13: hole `??` needs --keep-holes
