"""Reading source text: one clear problem for a file that is not text at all."""

from __future__ import annotations


def text_problem(text: str, name: str) -> str | None:
    """Why `text` can't be assembly source (NUL bytes), or None."""
    if "\x00" in text:
        return f"`{name}` looks like a binary file (it contains NUL bytes), not assembly source"
    return None


def decode_source(data: bytes, name: str) -> tuple[str, str | None]:
    """Bytes -> (text, problem); problem names the file when it is not UTF-8 text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        return "", f"`{name}` is not a text file (invalid UTF-8 at byte {err.start})"
    text = text.removeprefix("\ufeff")
    return text, text_problem(text, name)
