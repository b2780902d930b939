; A file that includes itself.
    .include "err_include_self.s"
; error@2:14: include cycle: err_include_self.s -> err_include_self.s
