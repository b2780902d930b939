"""ncpu — an assembler and neural-CPU runner for the ncpu32 instruction set."""

__version__ = "0.1.0"
