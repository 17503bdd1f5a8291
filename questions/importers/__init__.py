"""Parsers for the seed documents' formats, and format detection.

Each format module exposes `FORMAT`, `detect(text) -> bool` and `parse(text) -> ParsedSeed`.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from . import bullets, chapters, details, headings, hexo
from .base import ParsedSeed, RawItem, SeedFormatError

__all__ = ["FORMATS", "ParsedSeed", "RawItem", "SeedFormatError", "detect_format", "parse_seed"]

# Most specific first: a hexo post also has `## ` headings, a chapter file also has numbered lines.
FORMATS: dict[str, ModuleType] = {
    module.FORMAT: module for module in (details, hexo, bullets, headings, chapters)
}


def detect_format(text: str) -> str | None:
    for name, module in FORMATS.items():
        if module.detect(text):
            return name
    return None


def parse_seed(path: Path, fmt: str | None = None) -> ParsedSeed:
    """Parse one seed document; the format is detected unless given."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise SeedFormatError(f"{path}: not UTF-8 text") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    name = fmt or detect_format(text)
    if name is None:
        raise SeedFormatError(f"{path}: unknown seed format (known: {', '.join(FORMATS)})")
    if name not in FORMATS:
        raise SeedFormatError(f"unknown format {name!r} (known: {', '.join(FORMATS)})")
    try:
        return FORMATS[name].parse(text)
    except SeedFormatError as exc:
        raise SeedFormatError(f"{path}: {exc}") from None
