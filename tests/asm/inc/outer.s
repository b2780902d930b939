; included by ok_include_nested.s; includes sub/inner.s relative to this folder
.equ OUTER, 2
outer: li r1, INNER             ; => 0x60400007
.include "sub/inner.s"
