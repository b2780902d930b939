; Tabs and odd spacing; operands need only commas.
	add	r1,r2,r3                   ; => 0x0448C000
   ld   r1 ,  4 ( r2 )          ; => 0x80480004
lbl:addi r1,r1,1                ; => 0x40440001
