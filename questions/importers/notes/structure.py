"""Which lines of a notes file are its questions, and which lines answer each one.

Every line that could open a question gets a *pattern*: a heading of some level, a list item at
some depth (numbered or bulleted, bold or not), a bold line, a `Q:`/`问：` line, a one-line quote,
a `<details>` summary, or a plain line ending with a question mark. The file's questions are the
lines of one pattern: the outermost one whose lines mostly read as questions, unless an inner one
has clearly more of them. Within that pattern a numbered list that restarts inside an answer
(1. 2. 3. under question 5) is answer content, not questions.

A question's answer is everything after it up to the next question or the next heading at its own
level or above. Lines outside every answer are the document's introduction, a section's
introduction, or — when the section holds no questions at all — lines the structure cannot place,
which the importer reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .boilerplate import Boilerplate, section_end
from .cues import (
    STRONG,
    clean_question,
    has_answer_prefix,
    link_only,
    q_prefix,
    question_likeness,
    split_inline_answer,
)
from .lines import BOLD_LINE, Line, LineKind, strip_emphasis

__all__ = ["Pattern", "Candidate", "Question", "Structure", "read_structure"]

_SUMMARY = re.compile(r"<summary\b[^>]*>(.*?)</summary>", re.I)
_WRAPPER_ONLY = re.compile(r"^\s*</?details\b[^>]*>\s*$", re.I)
_BULLET_NUMBER = re.compile(r"^(?:\*\*|__)?\d{1,3}\s*[、.．]")
_TAKEOVER = 1.5  # an inner pattern wins when it has this many times the outer one's questions


@dataclass(frozen=True, order=True)
class Pattern:
    rank: int  # outer patterns first
    kind: str  # heading | summary | qprefix | bold | quote | item | plain
    level: int = 0  # heading level, or list depth
    marker: str = ""  # items: num | bullet | bullet-num | paren
    bold: bool = False

    def describe(self) -> str:
        if self.kind == "heading":
            return f"level-{self.level} headings ({'#' * self.level} …)"
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


def _pattern(kind: str, level: int = 0, marker: str = "", bold: bool = False) -> Pattern:
    rank = {"heading": 0, "summary": 10, "qprefix": 11, "bold": 12, "quote": 13, "item": 20, "plain": 40}[kind]
    return Pattern(rank + (level if kind in ("heading", "item") else 0), kind, level, marker, bold)


@dataclass(frozen=True)
class Candidate:
    index: int  # into the lines
    pattern: Pattern
    text: str  # the line without its heading or list marker (a numbered item keeps its number)
    number: int | None
    likeness: int


@dataclass(frozen=True)
class Question:
    index: int
    text: str
    number: int | None
    end: int  # index after the last line of its answer
    inline_answer: str = ""  # "问：X？答：Y" carries its answer on the question line


@dataclass
class Structure:
    pattern: Pattern | None = None
    questions: list[Question] = field(default_factory=list)
    sections: dict[int, int] = field(default_factory=dict)  # question index -> heading index
    claimed_headings: set[int] = field(default_factory=set)
    skipped: dict[int, str] = field(default_factory=dict)  # outside answers, with the reason
    unplaced: set[int] = field(default_factory=set)  # left unclaimed, so the importer reports them
    notes: list[str] = field(default_factory=list)
    near_miss: str = ""  # with no questions: the likeliest pattern and why it was not taken


def _marker_class(line: Line) -> str:
    if line.marker[0].isdigit():
        return "num"
    if line.marker[0] in "(（" or "\u2460" <= line.marker[0] <= "\u2473":
        return "paren"
    return "bullet-num" if _BULLET_NUMBER.match(line.text) else "bullet"


def _candidates(lines: list[Line], skipped: dict[int, str]) -> list[Candidate]:
    found: list[Candidate] = []
    stack: list[int] = []  # indents of the open list items
    for index, line in enumerate(lines):
        if line.container not in (None, "details") or line.blank:
            continue
        if line.container == "details":
            summary = _SUMMARY.search(line.raw)
            if summary and summary.group(1).strip() and index not in skipped:
                text = re.sub(r"<[^>]+>", "", summary.group(1)).strip()
                if text:
                    number = clean_question(text)[1]
                    found.append(Candidate(index, _pattern("summary"), text, number, question_likeness(text)))
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
            pattern = _pattern("heading", line.level)
        elif line.kind is LineKind.ITEM:
            while stack and stack[-1] >= line.indent:
                stack.pop()
            depth = len(stack)
            stack.append(line.indent)
            if q_prefix(text):
                pattern = _pattern("qprefix")
            else:
                pattern = _pattern("item", depth, _marker_class(line), bool(BOLD_LINE.match(text)))
                if pattern.marker == "num":
                    text = f"{line.marker} {text}"  # keep the number for the sequence check
        elif line.kind is LineKind.QUOTE:
            before = lines[index - 1] if index else None
            after = lines[index + 1] if index + 1 < len(lines) else None
            alone = (before is None or before.kind is not LineKind.QUOTE) and (
                after is None or after.kind is not LineKind.QUOTE
            )
            if alone and text:
                pattern = _pattern("qprefix") if q_prefix(text) else _pattern("quote")
        elif line.kind is LineKind.TEXT:
            if q_prefix(text):
                pattern = _pattern("qprefix")
            elif BOLD_LINE.match(text):
                pattern = _pattern("bold")
            else:
                before = lines[index - 1] if index else None
                starts_paragraph = before is None or before.kind is not LineKind.TEXT
                if starts_paragraph and question_likeness(text) == STRONG:
                    pattern = _pattern("plain")
        if pattern is None or has_answer_prefix(text):
            continue
        question_text, number = clean_question(split_inline_answer(text)[0])
        if not question_text:
            continue
        found.append(Candidate(index, pattern, text, number, question_likeness(text)))
    return found


def _choose(candidates: list[Candidate]) -> tuple[Pattern | None, list[str]]:
    stats: dict[Pattern, list[int]] = {}
    for candidate in candidates:
        counts = stats.setdefault(candidate.pattern, [0, 0])
        counts[0] += 1
        counts[1] += candidate.likeness > 0
    eligible = sorted(
        pattern
        for pattern, (total, questions) in stats.items()
        if questions >= (2 if pattern.kind == "plain" else 1) and questions * 2 >= total
    )
    if not eligible:
        return None, []
    best = eligible[0]
    for pattern in eligible[1:]:
        if stats[pattern][1] > _TAKEOVER * stats[best][1]:
            best = pattern
    notes = [
        f"{stats[p][1]} {p.describe()} also read as questions; they were kept inside the answers"
        for p in eligible
        if p != best and p > best and stats[p][1] >= max(2, stats[best][1] // 2)
    ]
    return best, notes


def _near_miss(candidates: list[Candidate]) -> str:
    """The most common pattern of lines that could have been questions, and how many read as
    questions ("48 level-1 headings (# …), 20 of which read as questions"); "" if there is none."""
    if not candidates:
        return ""
    totals: dict[Pattern, list[int]] = {}
    for candidate in candidates:
        counts = totals.setdefault(candidate.pattern, [0, 0])
        counts[0] += 1
        counts[1] += candidate.likeness > 0
    pattern, (total, questions) = max(totals.items(), key=lambda item: (item[1][0], -item[0].rank))
    return f"{total} {pattern.describe()}, {questions} of which read as questions"


def _heading_between(lines: list[Line], start: int, end: int) -> bool:
    return any(
        lines[i].kind is LineKind.HEADING and lines[i].container is None for i in range(start + 1, end)
    )


def _in_sequence(candidates: list[Candidate], lines: list[Line]) -> list[Candidate]:
    """Drop numbered lines that restart inside an answer (its own 1. 2. 3.) rather than continue the
    questions' numbering. Numbers that say nothing ("1." on every item) are ignored."""
    numbers = [c.number for c in candidates if c.number is not None]
    if len(numbers) < 3 or len(set(numbers)) * 2 < len(numbers):
        return candidates
    kept: list[Candidate] = []
    last: int | None = None
    last_index = -1
    nested: int | None = None
    for candidate in candidates:
        n = candidate.number
        if n is None:
            kept.append(candidate)
            continue
        restarts = n == 1 and _heading_between(lines, last_index, candidate.index)
        fits_questions = last is None or n > last or restarts
        fits_nested = nested is not None and n == nested + 1
        if fits_questions and (not fits_nested or candidate.likeness > 0):
            accept = True
        elif fits_questions or fits_nested:
            accept = False
        else:
            accept = candidate.likeness == STRONG  # a numbering slip in the questions themselves
        if accept:
            kept.append(candidate)
            last, last_index, nested = n, candidate.index, None
        else:
            nested = n
    return kept


def _is_stop(line: Line, pattern: Pattern) -> bool:
    if line.kind is not LineKind.HEADING or line.container is not None:
        return False
    return pattern.kind != "heading" or line.level <= pattern.level


def read_structure(lines: list[Line], boilerplate: Boilerplate) -> Structure:
    structure = Structure()
    skipped = dict(boilerplate.skipped)
    section_headings = {s.heading for s in boilerplate.sections}
    section_lines = {i for s in boilerplate.sections for i in range(s.heading, s.end)}
    candidates = [c for c in _candidates(lines, skipped) if c.index not in section_headings]
    pattern, notes = _choose([c for c in candidates if c.index not in section_lines])
    if pattern is None:
        structure.near_miss = _near_miss(candidates)
        return structure
    structure.pattern = pattern
    structure.notes = notes
    chosen = [c for c in candidates if c.pattern == pattern]
    if pattern.kind != "heading":
        chosen = [c for c in chosen if not (c.likeness == 0 and re.search(r"[:：]\s*$", strip_emphasis(c.text)))]
    # A boilerplate section (前言, 总结…) that holds questions is a real section; references never
    # are. One below the questions' level (`#### References` under `### question`) is answer content.
    for section in boilerplate.sections:
        if pattern.kind == "heading" and lines[section.heading].level > pattern.level:
            continue
        inside = [c for c in chosen if section.heading < c.index < section.end]
        if inside and section.reason != "references" and any(c.likeness for c in inside):
            continue
        chosen = [c for c in chosen if not section.heading <= c.index < section.end]
        for index in range(section.heading, section.end):
            if not lines[index].blank:
                skipped.setdefault(index, section.reason)
    chosen = _in_sequence(chosen, lines)

    starts = [c.index for c in chosen]
    for position, candidate in enumerate(chosen):
        limit = starts[position + 1] if position + 1 < len(starts) else len(lines)
        end = candidate.index + 1
        while end < limit and not _is_stop(lines[end], pattern):
            end += 1
        if candidate.pattern.kind == "summary":
            question_text, inline = candidate.text, ""
        else:
            question_text, inline = split_inline_answer(candidate.text)
            inline = inline or link_only(question_text) or ""
        text, number = clean_question(question_text)
        structure.questions.append(Question(candidate.index, text, number, end, inline))

    if pattern.kind != "heading":
        structure.questions = _prefixed_answers(lines, skipped, structure.questions)
    _place_the_rest(lines, skipped, structure)
    structure.skipped = skipped
    return structure


def _prefixed_answers(lines: list[Line], skipped: dict[int, str], questions: list[Question]) -> list[Question]:
    """Where answers are marked (答：, A:, **Answer:**), a question whose next lines are unmarked has
    no answer: those lines are not taken for one (the importer reports them)."""
    first_lines = {
        q.index: next(
            (i for i in range(q.index + 1, q.end) if not lines[i].blank and i not in skipped), None
        )
        for q in questions
    }
    marked = [
        q for q in questions
        if q.inline_answer or (first_lines[q.index] is not None and has_answer_prefix(lines[first_lines[q.index]].raw))
    ]  # fmt: skip
    with_content = [q for q in questions if q.inline_answer or first_lines[q.index] is not None]
    if len(marked) < 2 or len(marked) * 2 < len(with_content):
        return questions
    return [q if q in marked else Question(q.index, q.text, q.number, q.index + 1) for q in questions]


def _place_the_rest(lines: list[Line], skipped: dict[int, str], structure: Structure) -> None:
    """Sections, introductions and unplaced lines: everything outside the answers."""
    inside: set[int] = set()
    for question in structure.questions:
        inside.update(range(question.index, question.end))
    starts = [q.index for q in structure.questions]
    first_question = starts[0] if starts else len(lines)

    # A heading outside the answers is a section when questions stand in its scope; the innermost
    # such heading names a question's section.
    for index, line in enumerate(lines):
        if index in inside or index in skipped or line.kind is not LineKind.HEADING or line.container is not None:
            continue
        end = section_end(lines, index)
        if any(index < q < end for q in starts):
            structure.claimed_headings.add(index)
            for q in starts:
                if index < q < end:
                    structure.sections[q] = index
        elif all(lines[k].blank or k in skipped or lines[k].kind is LineKind.HEADING for k in range(index + 1, end)):
            skipped[index] = "empty section heading"

    for index, line in enumerate(lines):
        if line.blank or index in inside or index in skipped or index in structure.claimed_headings:
            continue
        if _WRAPPER_ONLY.match(line.raw):
            skipped[index] = "<details> wrapper"
            continue
        reads_as_question = line.container is None and question_likeness(line.text) == STRONG
        if index < first_question:
            if reads_as_question:
                structure.unplaced.add(index)
            else:
                skipped[index] = "introduction (before the first question)"
            continue
        heading = next(
            (k for k in range(index - 1, -1, -1) if lines[k].kind is LineKind.HEADING and lines[k].container is None),
            None,
        )
        scope_start = heading if heading is not None else -1
        scope_end = section_end(lines, heading) if heading is not None else len(lines)
        opens_section = any(index < q < scope_end for q in starts) and not any(scope_start < q < index for q in starts)
        if opens_section and not reads_as_question and line.kind is not LineKind.HEADING:
            skipped[index] = "section introduction (before its first question)"
        else:
            structure.unplaced.add(index)
