"""Package data: the ncpu32 opcode table, grammar and reference page.

Installed as ``ncpu_cli.isa_data`` (see pyproject.toml); read it through
``ncpu_cli.isa`` rather than importing this module.
"""
