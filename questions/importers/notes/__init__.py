"""Notes in any common shape: the question/answer structure is inferred, not prescribed.

Questions may be headings, numbered or bulleted items, bold lines, `Q:`/`问：` lines, one-line
quotes or `<details>` summaries; answers are the content under them. Front matter, tables of
contents, comments, reference sections and other boilerplate are skipped with a reason, and lines
the structure cannot place are left unclaimed so the importer reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..base import ParsedSeed, RawItem
from .answers import build_answer
from .boilerplate import Boilerplate, find_boilerplate
from .lines import Line, classify_lines, strip_emphasis
from .patterns import Pattern
from .structure import Structure, read_structure
from .sniff import NOTES_SUFFIXES, content_reason, suffix_reason

__all__ = ["FORMAT", "NOTES_SUFFIXES", "NotesSeed", "content_reason", "detect", "near_miss", "parse", "suffix_reason"]

FORMAT = "notes"

PLACEHOLDER = "placeholder, no answer yet"


@dataclass
class NotesSeed(ParsedSeed):
    """A parsed notes file, with what the preview shows about how it was read."""

    spans: list[tuple[int, int]] = field(default_factory=list)  # each item's first and last line
    notes: list[str] = field(default_factory=list)  # remarks on an ambiguous structure
    pattern: Pattern | None = None  # the pattern the questions follow (`structure` says it in words)


@dataclass(frozen=True)
class _Reading:
    lines: list[Line]
    boilerplate: Boilerplate
    structure: Structure


_last: tuple[str, _Reading] | None = None  # detect, then parse (or near_miss) read the same text


def _read(text: str) -> _Reading:
    """The file's lines, boilerplate and structure, inferred once per text: format detection and
    parsing share it. Callers must not change what it returns."""
    global _last
    if _last is not None and _last[0] == text:
        return _last[1]
    lines = classify_lines(text)
    boilerplate = find_boilerplate(lines)
    reading = _Reading(lines, boilerplate, read_structure(lines, boilerplate))
    _last = (text, reading)
    return reading


def detect(text: str) -> bool:
    return bool(_read(text).structure.questions)


def near_miss(text: str) -> str:
    """Why no questions were found, when lines that could be questions were: their likeliest
    pattern and how many of them read as questions ("" when there were none)."""
    return _read(text).structure.near_miss


def _topic_hints(lines: list[Line], structure: Structure, hints: dict[int, str]) -> dict[int, str]:
    """Question line index -> the topic its metadata line names ("**Topic:** Optimization"): the
    question right after the metadata line, or else the one right before it."""
    starts = {q.index for q in structure.questions}
    skipped = structure.skipped
    found: dict[int, str] = {}

    def neighbour(index: int, step: int) -> int | None:
        k = index + step
        while 0 <= k < len(lines) and (lines[k].blank or (k in skipped and k not in starts)):
            k += step
        return k if k in starts else None

    for index, hint in sorted(hints.items()):
        question = neighbour(index, 1)
        if question is None:
            question = neighbour(index, -1)
        if question is not None:
            found.setdefault(question, hint)
    return found


def parse(text: str) -> NotesSeed:
    reading = _read(text)
    lines, structure, title = reading.lines, reading.structure, reading.boilerplate.title
    skipped = dict(structure.skipped)
    hints = _topic_hints(lines, structure, reading.boilerplate.hints)
    seed = NotesSeed(FORMAT, title=title)
    if structure.pattern is not None:
        seed.pattern, seed.structure = structure.pattern, structure.pattern.describe()
    seed.notes = list(structure.notes)
    for question in structure.questions:
        region = [i for i in range(question.index + 1, question.end) if i not in skipped]
        answer = build_answer(lines, region, question.inline_answer)
        for index in answer.placeholders:
            skipped[index] = PLACEHOLDER
        heading = structure.sections.get(question.index)
        section = None if heading is None else _section_text(lines[heading])
        section = hints.get(question.index, section)  # the question's own topic label names it best
        seed.items.append(RawItem(question.text, answer.markdown, question.index + 1, question.number, section))
        seed.claimed.add(question.index + 1)
        seed.claimed.update(i + 1 for i in answer.used)
        last = max([question.index, *answer.used])
        seed.spans.append((question.index + 1, last + 1))
    seed.claimed.update(i + 1 for i in structure.claimed_headings)
    for index, reason in skipped.items():
        seed.skip(index + 1, reason)
    return seed


def _section_text(line: Line) -> str:
    return strip_emphasis(line.text)
