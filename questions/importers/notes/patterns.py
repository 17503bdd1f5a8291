"""The lines of a notes file that could open a question, each with its *pattern* (a heading of
some level, a list item at some depth, numbered or bulleted, bold or not, a bold line, a `Q:`/`问：`
line, a one-line quote, a `<details>` summary, or a plain line ending with a question mark), and
the pattern the file's questions follow: the outermost one whose lines mostly read as questions,
unless an inner one has clearly more of them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .cues import STRONG, clean_question, has_answer_prefix, q_prefix, question_likeness, split_inline_answer
from .lines import BOLD_LINE, Line, LineKind

__all__ = [
    "Pattern", "Candidate", "pattern_of", "described_pattern", "find_candidates", "pattern_stats", "eligible_patterns",
    "choose_pattern", "near_miss",
]  # fmt: skip

_SUMMARY = re.compile(r"<summary\b[^>]*>(.*?)</summary>", re.I)
_SUMMARY_ALONE = re.compile(r"^\s*<summary\b[^>]*>\s*$", re.I)
_SUMMARY_CLOSE = re.compile(r"^\s*</summary\s*>\s*$", re.I)
_BULLET_NUMBER = re.compile(r"^(?:\*\*|__)?\d{1,3}\s*[、.．]")
_TAKEOVER = 1.5  # an inner pattern wins when it has this many times the outer one's questions


@dataclass(frozen=True, order=True)
class Pattern:
    rank: int  # outer patterns first
    kind: str  # heading | headings | summary | qprefix | bold | quote | item | plain
    level: int = 0  # heading level, or list depth
    marker: str = ""  # items: num | bullet | bullet-num | paren
    bold: bool = False

    def describe(self) -> str:
        if self.kind == "heading":
            return f"level-{self.level} headings ({'#' * self.level} …)"
        if self.kind == "headings":
            return "headings of several levels (topic headings hold the question headings)"
        if self.kind == "item":
            where = "top-level" if self.level == 0 else f"depth-{self.level}"
            marker = {"num": "numbered", "paren": "numbered", "bullet": "bulleted", "bullet-num": "numbered bulleted"}
            return f"{where} {marker[self.marker]} list items{' in bold' if self.bold else ''}"
        return {
            "summary": "<details> summaries",
            "qprefix": "lines starting with Q: or 问：",
            "bold": "bold lines (**…**)",
            "quote": "one-line quotes (> …)",
            "plain": "lines ending with a question mark",
        }[self.kind]


def pattern_of(kind: str, level: int = 0, marker: str = "", bold: bool = False) -> Pattern:
    rank = {"heading": 0, "headings": 0, "summary": 10, "qprefix": 11, "bold": 12, "quote": 13, "item": 20, "plain": 40}[kind]
    return Pattern(rank + (level if kind in ("heading", "item") else 0), kind, level, marker, bold)


def described_pattern(description: str) -> Pattern | None:
    """The pattern whose `describe()` is `description` (None for any other text), for a front-end
    that words the pattern itself. Numbered and parenthesised items read alike: "num" stands for both.

    >>> described_pattern("level-3 headings (### …)")
    Pattern(rank=3, kind='heading', level=3, marker='', bold=False)
    >>> described_pattern("Anki text export") is None
    True
    """
    return _descriptions().get(description)


@functools.cache
def _descriptions() -> dict[str, Pattern]:
    patterns = [pattern_of("heading", level) for level in range(1, 7)]
    patterns += [pattern_of(kind) for kind in ("headings", "summary", "qprefix", "bold", "quote", "plain")]
    patterns += [
        pattern_of("item", depth, marker, bold)
        for depth in range(10) for marker in ("num", "bullet", "bullet-num", "paren") for bold in (False, True)
    ]  # fmt: skip
    found: dict[str, Pattern] = {}
    for pattern in patterns:
        found.setdefault(pattern.describe(), pattern)
    return found


@dataclass(frozen=True)
class Candidate:
    index: int  # into the lines
    pattern: Pattern
    text: str  # the line without its heading or list marker (a numbered item keeps its number)
    number: int | None
    likeness: int



def _marker_class(line: Line) -> str:
    if line.marker[0].isdigit():
        return "num"
    if line.marker[0] in "(（" or "\u2460" <= line.marker[0] <= "\u2473":
        return "paren"
    return "bullet-num" if _BULLET_NUMBER.match(line.text) else "bullet"


def _summary_lines(lines: list[Line], opening: int) -> list[int]:
    """The text lines of a summary spread over several lines (`<summary>`, its text, `</summary>`)."""
    text: list[int] = []
    for index in range(opening + 1, min(opening + 8, len(lines))):
        if _SUMMARY_CLOSE.match(lines[index].raw):
            return text if 1 <= len(text) <= 3 else []
        if not lines[index].blank:
            text.append(index)
    return []


def find_candidates(lines: list[Line], skipped: dict[int, str]) -> list[Candidate]:
    found: list[Candidate] = []
    stack: list[int] = []  # indents of the open list items
    for index, line in enumerate(lines):
        if line.container not in (None, "details") or line.blank:
            continue
        if line.container == "details" and _SUMMARY_ALONE.match(line.raw):
            summary_lines = _summary_lines(lines, index)
            if summary_lines and summary_lines[0] not in skipped:
                text = " ".join(lines[k].text for k in summary_lines)
                found.append(Candidate(summary_lines[0], pattern_of("summary"), text, clean_question(text)[1], question_likeness(text)))
            continue
        if line.container == "details":
            summary = _SUMMARY.search(line.raw)
            if summary and summary.group(1).strip() and index not in skipped:
                text = re.sub(r"<[^>]+>", "", summary.group(1)).strip()
                if text:
                    number = clean_question(text)[1]
                    found.append(Candidate(index, pattern_of("summary"), text, number, question_likeness(text)))
            continue
        if line.kind in (LineKind.HEADING, LineKind.RULE) or (
            line.kind is LineKind.TEXT and line.indent <= (stack[0] if stack else 0)
        ):
            stack.clear()
        if index in skipped:
            continue
        text = line.text
        pattern: Pattern | None = None
        if line.kind is LineKind.HEADING:
            pattern = pattern_of("heading", line.level)
        elif line.kind is LineKind.ITEM:
            while stack and stack[-1] >= line.indent:
                stack.pop()
            depth = len(stack)
            stack.append(line.indent)
            if q_prefix(text):
                pattern = pattern_of("qprefix")
            else:
                pattern = pattern_of("item", depth, _marker_class(line), bool(BOLD_LINE.match(text)))
                if pattern.marker == "num":
                    text = f"{line.marker} {text}"  # keep the number for the sequence check
        elif line.kind is LineKind.QUOTE:
            before = lines[index - 1] if index else None
            after = lines[index + 1] if index + 1 < len(lines) else None
            alone = (before is None or before.kind is not LineKind.QUOTE) and (
                after is None or after.kind is not LineKind.QUOTE
            )
            if alone and text:
                pattern = pattern_of("qprefix") if q_prefix(text) else pattern_of("quote")
        elif line.kind is LineKind.TEXT:
            if q_prefix(text):
                pattern = pattern_of("qprefix")
            elif BOLD_LINE.match(text):
                pattern = pattern_of("bold")
            else:
                before = lines[index - 1] if index else None
                starts_paragraph = before is None or before.kind is not LineKind.TEXT
                if starts_paragraph and question_likeness(text) == STRONG:
                    pattern = pattern_of("plain")
        if pattern is None or has_answer_prefix(text):
            continue
        question_text, number = clean_question(split_inline_answer(text)[0])
        if not question_text:
            continue
        found.append(Candidate(index, pattern, text, number, question_likeness(text)))
    return found


def pattern_stats(candidates: list[Candidate]) -> dict[Pattern, list[int]]:
    """Per pattern: its lines, how many read as questions, how many of those strongly."""
    stats: dict[Pattern, list[int]] = {}
    for candidate in candidates:
        counts = stats.setdefault(candidate.pattern, [0, 0, 0])
        counts[0] += 1
        counts[1] += candidate.likeness > 0
        counts[2] += candidate.likeness == STRONG
    return stats


def eligible_patterns(stats: dict[Pattern, list[int]]) -> list[Pattern]:
    return sorted(
        pattern
        for pattern, (total, questions, _) in stats.items()
        if questions >= (2 if pattern.kind == "plain" else 1) and questions * 2 >= total
    )


def choose_pattern(candidates: list[Candidate]) -> tuple[Pattern | None, list[tuple[Pattern, int]]]:
    stats = pattern_stats(candidates)
    eligible = eligible_patterns(stats)
    if not eligible:
        return None, []
    best = eligible[0]
    for pattern in eligible[1:]:
        # An inner pattern takes over when it has clearly more questions, and no fewer that end
        # with a question mark: sub-bullets full of 作用/区别 do not outvote the questions over them.
        if stats[pattern][1] > _TAKEOVER * stats[best][1] and stats[pattern][2] >= stats[best][2]:
            best = pattern
    notes = [
        (p, stats[p][1])
        for p in eligible
        if p != best and p > best and stats[p][1] >= max(2, stats[best][1] // 2)
        and not (p.kind == best.kind == "item" and p.level > best.level)  # sub-items are answers
    ]
    return best, notes


def near_miss(candidates: list[Candidate]) -> str:
    """The most common pattern of lines that could have been questions, and how many read as
    questions ("48 level-1 headings (# …), 20 of which read as questions"); "" if there is none."""
    if not candidates:
        return ""
    totals: dict[Pattern, list[int]] = {}
    for candidate in candidates:
        counts = totals.setdefault(candidate.pattern, [0, 0])
        counts[0] += 1
        counts[1] += candidate.likeness > 0
    # The closest: the most lines that read as questions, then the most lines.
    pattern, (total, questions) = max(totals.items(), key=lambda item: (item[1][1], item[1][0], -item[0].rank))
    return f"{total} {pattern.describe()}, {questions} of which read as questions"

