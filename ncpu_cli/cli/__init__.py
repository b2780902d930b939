"""The `ncpu` command line (Typer). The app is in root.py; commands live in sibling
modules, each adding its own to the app, and importing them here registers them."""

import sys

from ncpu_cli.cli import asm, bench, fit, run, trace  # noqa: F401 (registers the commands)
from ncpu_cli.cli.root import app

__all__ = ["app", "main"]


def main() -> None:
    """The console script: the app, except that under `--json` an error the command-line
    parser itself reports (an unknown option, a value out of its range) is the JSON
    error object too, with the same exit code (2 for usage)."""
    if "--json" not in sys.argv[1:]:
        app()
        return
    try:
        code = app(standalone_mode=False)
    except Exception as exc:  # the parser's errors (Click's, vendored by newer Typer)
        names = {c.__name__ for c in type(exc).__mro__}
        if "ClickException" not in names:
            raise
        from ncpu_cli.cli.common import emit_json_error, error_object

        kind = "usage" if "UsageError" in names else "error"
        emit_json_error(error_object(kind, exc.format_message()))
        sys.exit(exc.exit_code)
    sys.exit(code if isinstance(code, int) else 0)
