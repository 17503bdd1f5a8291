"""Telling a file that is not notes at all (code, a table, data, a binary) from notes whose
questions were not found, so the message says what the file is."""

from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["NOTES_SUFFIXES", "suffix_reason", "content_reason"]

NOTES_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".txt", ".text")

_KNOWN_SUFFIXES = {
    ".py": "Python source code",
    ".ipynb": "a Jupyter notebook",
    ".csv": "a table of comma-separated values (CSV)",
    ".tsv": "a table of tab-separated values (TSV)",
    ".json": "JSON data",
    ".yaml": "YAML data (a bank file belongs in the bank folder as it is)",
    ".yml": "YAML data (a bank file belongs in the bank folder as it is)",
    ".html": "an HTML page",
    ".htm": "an HTML page",
    ".pdf": "a PDF document",
    ".doc": "a Word document",
    ".docx": "a Word document",
    ".apkg": "an Anki package",
    ".zip": "a zip archive",
    ".png": "an image",
    ".jpg": "an image",
    ".jpeg": "an image",
}
_CODE_LINE = re.compile(
    r"^\s*(def |class |import |from \S+ import |return\b|if .*:$|elif .*:$|else:$|for .*:$|while .*:$|try:$|"
    r"except\b.*:$|with .*:$|@\w+|print\(|#!|#\s|\w+\s*=\s*\S|\w+\(.*\)$|[\])}]+$)"
)


def suffix_reason(path: Path) -> str | None:
    """What the file is, when its name alone says it is not notes."""
    return _KNOWN_SUFFIXES.get(path.suffix.lower())


def content_reason(text: str) -> str | None:
    """What the text is, when it reads as something other than notes (checked once no question
    was found in it)."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return None
    stripped = text.strip()
    if stripped[:1] in "[{":
        try:
            json.loads(stripped)
            return "JSON data"
        except ValueError:
            pass
    if sum(1 for line in lines if _CODE_LINE.match(line)) >= 0.6 * len(lines) and len(lines) >= 3:
        return "Python source code"
    for separator, name in ((",", "comma"), ("\t", "tab"), (";", "semicolon")):
        counts = [line.count(separator) for line in lines]
        if len(lines) >= 2 and min(counts) >= 1 and counts.count(counts[0]) >= 0.8 * len(lines):
            kind = "CSV" if separator == "," else "TSV" if separator == "\t" else "CSV"
            return f"a table of {name}-separated values ({kind})"
    return None
