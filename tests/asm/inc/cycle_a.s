; part of the include cycle tested by err_include_cycle.s
.include "cycle_b.s"
