"""`python -m ncpu_cli` — same as the `ncpu` console script."""

from ncpu_cli.cli import main

if __name__ == "__main__":
    main()
