"""Which lines of a notes file are its questions, and which lines answer each one.

Every line that could open a question gets a *pattern*: a heading of some level, a list item at
some depth (numbered or bulleted, bold or not), a bold line, a `Q:`/`问：` line, a one-line quote,
a `<details>` summary, or a plain line ending with a question mark. The file's questions are the
lines of one pattern: the outermost one whose lines mostly read as questions, unless an inner one
has clearly more of them. Within that pattern a numbered list that restarts inside an answer
(1. 2. 3. under question 5) is answer content, not questions.

A question's answer is everything after it up to the next question or the next heading at its own
level or above. Lines outside every answer are the document's introduction (before the first
heading, or in a section that goes on to hold questions), a section's introduction, or — when their
section holds no questions at all, before the questions or after them — lines the structure cannot
place, which the importer reports. `Q：…`/`A：…` pairs in a section of their own are questions
whatever the file's pattern; list items that do not ask, in a section where none does, are not.
"""


from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..base import INTRODUCTION
from .boilerplate import Boilerplate, section_end
from .cues import STRONG, clean_question, has_answer_prefix, link_only, question_likeness, split_inline_answer
from .headings import heading_reading
from .lines import Line, LineKind, strip_emphasis
from .patterns import Candidate, Pattern, choose_pattern, eligible_patterns, find_candidates, near_miss, pattern_stats

__all__ = ["Pattern", "Candidate", "Question", "Structure", "read_structure"]

_WRAPPER_ONLY = re.compile(r"^\s*</?(?:details|summary)\b[^>]*>\s*$", re.I)


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


def _is_stop(line: Line, pattern: Pattern, question: Line) -> bool:
    """Whether `line` ends the answer of the question on `question`: a heading at its level or
    above, or a list item less indented than a question that is itself a list item."""
    if line.container is not None:
        return False
    if line.kind is LineKind.HEADING:
        return pattern.kind not in ("heading", "headings") or line.level <= question.level
    return question.kind is LineKind.ITEM and line.kind is LineKind.ITEM and line.indent < question.indent


def _section_of(lines: list[Line], index: int) -> int:
    """The nearest heading above a line (-1 when there is none)."""
    return next(
        (k for k in range(index - 1, -1, -1) if lines[k].kind is LineKind.HEADING and lines[k].container is None),
        -1,
    )


def _answered_next(lines: list[Line], skipped: dict[int, str], index: int) -> bool:
    """Whether the line after `index` (blank lines aside) is marked as an answer (A：, 答：)."""
    following = next((k for k in range(index + 1, len(lines)) if not lines[k].blank and k not in skipped), None)
    return following is not None and has_answer_prefix(lines[following].raw)


def _with_paired_questions(
    lines: list[Line], skipped: dict[int, str], candidates: list[Candidate], chosen: list[Candidate]
) -> list[Candidate]:
    """The chosen questions plus `Q：…`/`A：…` pairs in sections without them (a scenario round in
    a numbered 面经): a question marked so, and answered so, is one whatever the file's pattern."""
    taken = {_section_of(lines, c.index) for c in chosen}
    paired = [
        c for c in candidates
        if c.pattern.kind == "qprefix" and c not in chosen and _section_of(lines, c.index) not in taken
        and (split_inline_answer(c.text)[1] or _answered_next(lines, skipped, c.index))
    ]  # fmt: skip
    return sorted(chosen + paired, key=lambda c: c.index) if paired else chosen


def _without_statements(lines: list[Line], chosen: list[Candidate]) -> list[Candidate]:
    """List items that do not ask, in a section where none does (「新了解到的知识」 after the
    rounds of a 面经), are notes, not questions: they are left for the importer to report."""
    asking = {_section_of(lines, c.index) for c in chosen if c.likeness > 0}
    return [c for c in chosen if c.likeness > 0 or c.pattern.kind != "item" or _section_of(lines, c.index) in asking]


def _with_sibling_markers(
    lines: list[Line], candidates: list[Candidate], pattern: Pattern, stats: dict[Pattern, list[int]]
) -> list[Candidate]:
    """The chosen pattern's lines, plus list items of the same depth with another marker (a round of
    an interview log numbered, the next one bulleted) where they stand in sections of their own and
    mostly read as questions themselves."""
    chosen = [c for c in candidates if c.pattern == pattern]
    if pattern.kind != "item":
        return chosen

    def section_of(index: int) -> int:
        return next(
            (k for k in range(index - 1, -1, -1) if lines[k].kind is LineKind.HEADING and lines[k].container is None),
            -1,
        )

    taken = {section_of(c.index) for c in chosen}
    siblings = [
        p for p in eligible_patterns(stats)
        if p.kind == "item" and p.level == pattern.level and p.bold == pattern.bold and p.marker != pattern.marker
    ]  # fmt: skip
    extra = [c for c in candidates if c.pattern in siblings and section_of(c.index) not in taken]
    return sorted(chosen + extra, key=lambda c: c.index)


def read_structure(lines: list[Line], boilerplate: Boilerplate) -> Structure:
    structure = Structure()
    skipped = dict(boilerplate.skipped)
    section_headings = {s.heading for s in boilerplate.sections}
    section_lines = {i for s in boilerplate.sections for i in range(s.heading, s.end)}
    candidates = [c for c in find_candidates(lines, skipped) if c.index not in section_headings]
    countable = [c for c in candidates if c.index not in section_lines]
    pattern, notes = choose_pattern(countable)
    reading = heading_reading(lines, skipped, countable, pattern)
    if reading is not None:
        pattern, chosen = reading
        notes = []
    elif pattern is None:
        structure.near_miss = near_miss(candidates)
        return structure
    else:
        chosen = _with_sibling_markers(lines, candidates, pattern, pattern_stats(countable))
        if pattern.kind not in ("heading", "qprefix"):
            chosen = _with_paired_questions(lines, skipped, candidates, _without_statements(lines, chosen))
    structure.pattern = pattern
    if pattern.kind not in ("heading", "headings"):
        chosen = [c for c in chosen if not (c.likeness == 0 and re.search(r"[:：]\s*$", strip_emphasis(c.text)))]
    # A boilerplate section (前言, 总结…) that holds questions is a real section; references never
    # are. One below the questions' level (`#### References` under `### question`) is answer content.
    for section in boilerplate.sections:
        if pattern.kind == "heading" and lines[section.heading].level > pattern.level:
            continue
        if pattern.kind == "headings" and any(
            c.index < section.heading < section_end(lines, c.index) for c in chosen
        ):
            continue
        inside = [c for c in chosen if section.heading < c.index < section.end]
        if inside and section.reason != "references" and any(c.likeness for c in inside):
            continue
        chosen = [c for c in chosen if not section.heading <= c.index < section.end]
        for index in range(section.heading, section.end):
            if not lines[index].blank:
                skipped.setdefault(index, section.reason)
    if pattern.kind != "headings":
        chosen = _in_sequence(chosen, lines)

    starts = [c.index for c in chosen]
    for position, candidate in enumerate(chosen):
        limit = starts[position + 1] if position + 1 < len(starts) else len(lines)
        end = candidate.index + 1
        while end < limit and not _is_stop(lines[end], pattern, lines[candidate.index]):
            end += 1
        if candidate.pattern.kind == "summary":
            question_text, inline = candidate.text, ""
        else:
            question_text, inline = split_inline_answer(candidate.text)
            inline = inline or link_only(question_text) or ""
        text, number = clean_question(question_text)
        structure.questions.append(Question(candidate.index, text, number, end, inline))

    if pattern.kind not in ("heading", "headings"):
        structure.questions = _prefixed_answers(lines, skipped, structure.questions)
    structure.questions = [q for q in structure.questions if not _lists_questions(lines, skipped, q)]
    structure.questions = sorted(structure.questions + _open_items(lines, skipped, structure.questions), key=lambda q: q.index)
    spans = [(q.index, q.end) for q in structure.questions]
    inside = {
        other: sum(1 for c in candidates if c.pattern == other and c.likeness > 0 and any(f < c.index < e for f, e in spans))
        for other, _ in notes
    }
    structure.notes = [
        f"{count} {other.describe()} also read as questions; they were kept inside the answers"
        for other, count in inside.items()
        if count
    ]
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


def _lists_questions(lines: list[Line], skipped: dict[int, str], question: Question) -> bool:
    """A heading that does not ask and holds nothing but a list of questions ("## 待整理" then
    "- 什么是 KV Cache？"): a section of open questions, not a question answered by them."""
    line = lines[question.index]
    if line.kind is not LineKind.HEADING or question_likeness(line.text) > 0:
        return False
    body = [lines[i] for i in range(question.index + 1, question.end) if not lines[i].blank and i not in skipped]
    return len(body) >= 2 and all(
        b.kind is LineKind.ITEM and b.container is None and b.indent == body[0].indent and question_likeness(b.text) > 0
        for b in body
    )


def _open_items(lines: list[Line], skipped: dict[int, str], questions: list[Question]) -> list[Question]:
    """List items outside every answer, after the first question, that read as questions and have
    nothing under them ("## Still to answer" then "6. …？ 7. …？"): open questions. A run of them
    counts, or a single one with a question mark."""
    if not questions:
        return []
    inside: set[int] = set()
    for question in questions:
        inside.update(range(question.index, question.end))
    found: list[Question] = []
    run: list[int] = []

    def close() -> None:
        if len(run) >= 2 or (run and question_likeness(lines[run[0]].text) == STRONG):
            for index in run:
                line = lines[index]
                numbered = line.marker[:1].isdigit() or line.marker[:1] in "(（"
                text, number = clean_question(f"{line.marker} {line.text}" if numbered else line.text)
                found.append(Question(index, text, number, index + 1))
        run.clear()

    for index in range(questions[0].index + 1, len(lines)):
        line = lines[index]
        if line.blank:
            continue
        if index in inside or index in skipped:
            close()
            continue
        opens = (
            line.kind is LineKind.ITEM
            and line.container is None
            and question_likeness(line.text) > 0
            and not (run and line.indent != lines[run[0]].indent)
        )
        following = next((k for k in range(index + 1, len(lines)) if not lines[k].blank), None)
        bare = following is None or lines[following].kind in (LineKind.HEADING, LineKind.ITEM) and lines[following].indent <= line.indent
        if opens and bare:
            run.append(index)
        else:
            run.clear()  # a run with text under one of its items is not a list of open questions
            if opens:
                continue
    close()
    return found


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
        heading = index if line.kind is LineKind.HEADING and line.container is None else _section_of(lines, index)
        heading = None if heading < 0 or heading in skipped else heading
        if index < first_question:
            # The introduction: what stands before the first heading, or in a section that goes on
            # to hold questions. A section before the questions that holds none is not placed.
            holds = heading is None or any(heading < q < section_end(lines, heading) for q in starts)
            if reads_as_question or not holds:
                structure.unplaced.add(index)
            else:
                skipped[index] = INTRODUCTION
            continue
        if line.kind is not LineKind.HEADING:
            heading = _section_of(lines, index)
            heading = None if heading < 0 else heading
        scope_start = heading if heading is not None else -1
        scope_end = section_end(lines, heading) if heading is not None else len(lines)
        opens_section = any(index < q < scope_end for q in starts) and not any(scope_start < q < index for q in starts)
        if opens_section and not reads_as_question and line.kind is not LineKind.HEADING:
            skipped[index] = "section introduction (before its first question)"
        else:
            structure.unplaced.add(index)
