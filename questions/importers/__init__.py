"""Parsers for the seed documents' formats, and format detection.

Each format module exposes `FORMAT`, `detect(text) -> bool` and `parse(text) -> ParsedSeed`. A deck
of cards (`anki`: Anki's text export, detected by its header lines or its tab-separated rows, and
any `.csv`/`.tsv` file) is tried first, then the five seed formats, each detected by its exact
shape (a blog post of the Hexo shape from another generator is a `post`); `notes`, which infers the structure of any notes file, is the fallback.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from . import anki, bullets, chapters, details, headings, hexo, notes, post
from .base import ParsedSeed, RawItem, SeedFormatError, SeedNotFound

__all__ = ["FORMATS", "ParsedSeed", "RawItem", "SeedFormatError", "SeedNotFound", "detect_format", "parse_seed", "read_seed_text"]

# Most specific first: an Anki export names itself in its header, a hexo post also has `## `
# headings, a chapter file also has numbered lines.
FORMATS: dict[str, ModuleType] = {
    module.FORMAT: module for module in (anki, details, hexo, post, bullets, headings, chapters, notes)
}

_SNIFF_BYTES = 8192


def detect_format(text: str) -> str | None:
    for name, module in FORMATS.items():
        if module.detect(text):
            return name
    return None


def read_seed_text(path: Path) -> str:
    """The text of a seed or notes file, newlines normalised; a clear error for what is not text.

    UTF-8 (with or without a BOM) first; notes saved by a Chinese Windows editor (GB18030/GBK)
    are read too.
    """
    if path.is_dir():
        raise SeedFormatError(f"{path}: is a folder, not a file")
    if path.suffix.lower() == ".apkg":
        raise SeedFormatError(
            f"{path}: an Anki package; export the deck from Anki as Notes in Plain Text (.txt) and import that"
        )
    reason = None if anki.is_deck_file(path) else notes.suffix_reason(path)
    if reason:
        raise SeedFormatError(f"{path}: {reason}, not notes (import Markdown or plain-text notes: .md, .txt)")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SeedNotFound(f"{path}: file not found") from None
    if not data.strip():
        raise SeedFormatError(f"{path}: the file is empty, nothing to import")
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise SeedFormatError(f"{path}: a binary file, not notes (import Markdown or plain-text notes: .md, .txt)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise SeedFormatError(f"{path}: not UTF-8 text") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_seed(path: Path, fmt: str | None = None) -> ParsedSeed:
    """Parse one seed document; the format is detected unless given (a `.csv`/`.tsv` file is a deck)."""
    text = read_seed_text(path)
    name = fmt or (anki.FORMAT if anki.is_deck_file(path) else detect_format(text))
    if name is None:
        what = notes.content_reason(text)
        if what:
            hint = "; a table of fronts and backs is a deck: name it .csv" if "-separated values" in what else ""
            raise SeedFormatError(
                f"{path}: {what}, not notes (import Markdown or plain-text notes: .md, .txt{hint})"
            )
        almost = notes.near_miss(text)
        if almost:
            raise SeedFormatError(
                f"{path}: unknown seed format: no questions found: {almost}, and at least half must (a "
                "question mark, 什么/为什么/如何/区别…, what/why/how…); reword the questions or add 「？」"
            )
        raise SeedFormatError(
            f"{path}: unknown seed format: no questions found (looked for headings, numbered or bulleted "
            "items, bold lines, Q:/问： lines and lines ending with a question mark)"
        )
    if name not in FORMATS:
        raise SeedFormatError(f"unknown format {name!r} (known: {', '.join(FORMATS)})")
    try:
        return FORMATS[name].parse(text)
    except SeedFormatError as exc:
        raise SeedFormatError(f"{path}: {exc}") from None
