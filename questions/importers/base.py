"""What every seed parser returns, and the small text helpers they share.

A parser accounts for every line of its document: a line is part of a question, part of an
answer, or skipped with a stated reason (front matter, a wrapper tag, a document title). The
importer reports any other non-blank line, so nothing in a seed is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = [
    "RawItem", "ParsedSeed", "SeedFormatError", "SeedNotFound", "expand", "indent_of", "dedent_block", "nested_lines_to_markdown",
    "join_wrapped", "INTRODUCTION",
]  # fmt: skip

INTRODUCTION = "introduction (before the first question)"


class SeedFormatError(ValueError):
    """A seed document that its parser cannot read."""


class SeedNotFound(SeedFormatError):
    """A seed path that does not exist: a mistake in what was asked for, not in a document."""


@dataclass(frozen=True)
class RawItem:
    """One question as it stands in a seed, before topics, ids and key points are added."""

    question: str
    answer: str  # Markdown
    line: int  # 1-based line of the question
    number: int | None = None
    section: str | None = None
    images: tuple[str, ...] = ()


@dataclass
class ParsedSeed:
    """A parsed seed: its questions plus an account of every line that is not in one."""

    format: str
    items: list[RawItem] = field(default_factory=list)
    title: str | None = None
    structure: str = ""  # how the questions were recognised, for the preview ("" when the format says it)
    claimed: set[int] = field(default_factory=set)  # lines inside questions or answers
    skipped: dict[int, str] = field(default_factory=dict)  # line -> why it is not content

    def claim(self, first: int, last: int) -> None:
        self.claimed.update(range(first, last + 1))

    def skip(self, line: int, reason: str) -> None:
        self.skipped[line] = reason

    def unaccounted(self, lines: list[str]) -> list[tuple[int, str]]:
        """Non-blank lines that are neither content nor knowingly skipped."""
        return [
            (number, text)
            for number, text in enumerate(lines, start=1)
            if text.strip() and number not in self.claimed and number not in self.skipped
        ]


def expand(line: str) -> str:
    """Tabs to spaces (a tab is one indentation step of 4) and no trailing blanks."""
    return line.expandtabs(4).rstrip()


def indent_of(line: str) -> int:
    expanded = expand(line)
    return len(expanded) - len(expanded.lstrip(" "))


def dedent_block(lines: list[str]) -> list[str]:
    """Remove the common indentation of the non-blank lines (tabs expanded first)."""
    expanded = [expand(line) for line in lines]
    widths = [indent_of(line) for line in expanded if line.strip()]
    cut = min(widths, default=0)
    return [line[cut:] if line.strip() else "" for line in expanded]


_SPACES = re.compile(r"^[ \u3000]+")
_WIDE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def join_wrapped(parts: list[str]) -> str:
    """Lines of one hard-wrapped paragraph as one line: a space between words, none between two
    CJK characters ("…组成句" + "子。" -> "…组成句子。")."""
    out = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if out and not (_WIDE.match(out[-1]) and _WIDE.match(part[0])):
            out += " "
        out += part
    return out


def nested_lines_to_markdown(lines: list[str]) -> str:
    """Turn indentation-structured plain lines into Markdown that keeps the structure.

    Lines at the outermost indentation become paragraphs; deeper lines become (nested) bullet
    items, so an indented line is never mistaken for a Markdown code block.
    """
    # An ideographic space (U+3000) is as wide as two ASCII spaces.
    expanded = [_SPACES.sub(lambda m: m.group().replace("\u3000", "  "), expand(line)) for line in lines]
    body = [line for line in expanded if line.strip()]
    if not body:
        return ""
    levels = sorted({indent_of(line) for line in body})
    out: list[str] = []
    previous_depth = 0
    for line in body:
        depth = levels.index(indent_of(line))
        text = line.strip()
        if depth == 0:
            if out:
                out.append("")
            out.append(text)
        else:
            if previous_depth == 0:
                out.append("")
            out.append("  " * (depth - 1) + "- " + text)
        previous_depth = depth
    return "\n".join(out)
