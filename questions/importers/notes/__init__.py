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
from .boilerplate import find_boilerplate
from .lines import Line, classify_lines, strip_emphasis
from .structure import Structure, read_structure
from .sniff import NOTES_SUFFIXES, content_reason, suffix_reason

__all__ = ["FORMAT", "NOTES_SUFFIXES", "NotesSeed", "content_reason", "detect", "near_miss", "parse", "suffix_reason"]

FORMAT = "notes"

PLACEHOLDER = "placeholder, no answer yet"


@dataclass
class NotesSeed(ParsedSeed):
    """A parsed notes file, with what the preview shows about how it was read."""

    structure: str = ""  # how the questions were recognised, e.g. "level-3 headings (### …)"
    spans: list[tuple[int, int]] = field(default_factory=list)  # each item's first and last line
    notes: list[str] = field(default_factory=list)  # remarks on an ambiguous structure


def _read(text: str) -> tuple[list[Line], Structure, dict[int, str], str | None]:
    lines = classify_lines(text)
    boilerplate = find_boilerplate(lines)
    structure = read_structure(lines, boilerplate)
    return lines, structure, structure.skipped, boilerplate.title


def detect(text: str) -> bool:
    return bool(_read(text)[1].questions)


def near_miss(text: str) -> str:
    """Why no questions were found, when lines that could be questions were: their likeliest
    pattern and how many of them read as questions ("" when there were none)."""
    return _read(text)[1].near_miss


def parse(text: str) -> NotesSeed:
    lines, structure, skipped, title = _read(text)
    seed = NotesSeed(FORMAT, title=title)
    if structure.pattern is not None:
        seed.structure = structure.pattern.describe()
    seed.notes = list(structure.notes)
    for question in structure.questions:
        region = [i for i in range(question.index + 1, question.end) if i not in skipped]
        answer = build_answer(lines, region, question.inline_answer)
        for index in answer.placeholders:
            skipped[index] = PLACEHOLDER
        heading = structure.sections.get(question.index)
        section = None if heading is None else _section_text(lines[heading])
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
