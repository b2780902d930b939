; A missing include file is an error at the include line.
    .include "inc/does_not_exist.s"
    halt
; error@2:14: cannot include `inc/does_not_exist.s`: file not found
