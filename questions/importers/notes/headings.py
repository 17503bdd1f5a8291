"""Headings read as topics and questions: in a file whose headings of no one level mostly ask
(「卷积神经网络」 holding 「为什么用1x1卷积？」), a heading that asks, or has an answer of its own while
its sub-headings do not mostly ask, is a question; any other heading is a topic.
"""

from __future__ import annotations

from .boilerplate import section_end
from .cues import STRONG
from .lines import Line, LineKind
from .patterns import Candidate, Pattern, pattern_of

__all__ = ["heading_reading"]


def _direct_content(lines: list[Line], skipped: dict[int, str], heading: int) -> bool:
    """Whether a heading has lines of its own before the next heading (of any level)."""
    for index in range(heading + 1, len(lines)):
        line = lines[index]
        if line.kind is LineKind.HEADING and line.container is None:
            return False
        if not line.blank and index not in skipped:
            return True
    return False


def _mixed_headings(lines: list[Line], skipped: dict[int, str], candidates: list[Candidate]) -> list[Candidate]:
    """Headings read as topics and questions: a heading is a question when it asks (a question mark),
    or reads as a question or has an answer of its own (text before its first sub-heading) while
    its sub-headings do not mostly read as questions; otherwise it is a topic, and its sub-headings
    are read the same way. Headings inside a question's section are its answer's sub-sections."""
    headings = [c for c in candidates if c.pattern.kind == "heading"]
    chosen: list[Candidate] = []
    inside_until = -1
    for position, heading in enumerate(headings):
        if heading.index < inside_until:
            continue
        end = section_end(lines, heading.index)
        below = [c for c in headings[position + 1 :] if c.index < end]
        top = min((c.pattern.level for c in below), default=0)
        children = [c for c in below if c.pattern.level == top]
        content = _direct_content(lines, skipped, heading.index)
        asked = sum(1 for c in children if c.likeness > 0)
        holds_questions = len(children) >= 2 and asked * 2 > len(children)
        question = (
            heading.likeness == STRONG
            or (content and heading.likeness > 0)
            or (not holds_questions and (content or heading.likeness > 0))
        )
        if question:
            chosen.append(heading)
            inside_until = end
    return chosen


def _orphan_sections(lines: list[Line], skipped: dict[int, str], chosen: list[Candidate], pattern: Pattern) -> int:
    """Headings with text of their own that a single-level reading leaves outside every answer and
    without questions: what the importer would have to report as not placed."""
    if pattern.kind != "heading":
        return 0
    starts = [c.index for c in chosen]
    count = 0
    for index, line in enumerate(lines):
        if line.kind is not LineKind.HEADING or line.container is not None or index in skipped:
            continue
        if line.level >= pattern.level or not _direct_content(lines, skipped, index):
            continue
        end = section_end(lines, index)
        if not any(index < start < end for start in starts):
            count += 1
    return count


def _toc_entries(lines: list[Line], skipped: dict[int, str]) -> int:
    return sum(1 for i, reason in skipped.items() if reason == "table of contents" and "](#" in lines[i].raw)


def heading_reading(
    lines: list[Line], skipped: dict[int, str], candidates: list[Candidate], pattern: Pattern | None
) -> tuple[Pattern, list[Candidate]] | None:
    """The mixed topic/question reading of the headings, when it explains the file better than the
    pattern chosen by counting (or when no pattern was eligible)."""
    if pattern is not None and pattern.kind != "heading":
        return None
    mixed = _mixed_headings(lines, skipped, candidates)
    if len(mixed) < 2:
        return None
    asked = sum(1 for c in mixed if c.likeness > 0)
    if pattern is None:
        # Evidence that the headings are the entries: a third of them ask, or a table of contents
        # lists them and a fifth ask.
        share = asked / len(mixed)
        if len(mixed) < 3 or not (share >= 1 / 3 or (_toc_entries(lines, skipped) >= len(mixed) // 2 and share >= 1 / 5)):
            return None
    else:
        single = [c for c in candidates if c.pattern == pattern]
        single_asked = sum(1 for c in single if c.likeness > 0)
        better = asked > single_asked or (
            asked == single_asked and len(mixed) > len(single) and _orphan_sections(lines, skipped, single, pattern) > 0
        )
        if not better:
            return None
    levels = {c.pattern.level for c in mixed}
    reading = pattern_of("heading", levels.pop()) if len(levels) == 1 else pattern_of("headings")
    return reading, mixed

