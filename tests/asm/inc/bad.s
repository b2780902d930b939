; included by err_in_include.s; has two errors
    addi r1, r1, 99999
    out r77
