"""Seeds organised by course chapter: a chapter line at the margin, numbered questions indented
once under it, answer lines indented further (deeper lines are sub-points).

    28 批量归一化BN
        1. xavier和BN的区别
            本质上没有区别, 是一个思想……
"""

from __future__ import annotations

import re

from .base import ParsedSeed, RawItem, indent_of, nested_lines_to_markdown

__all__ = ["FORMAT", "detect", "parse"]

FORMAT = "chapters"

_CHAPTER = re.compile(r"^\d+\s*\.?\s+\S")
_QUESTION = re.compile(r"^\s+(\d+)\s*[.、．]\s*(.*\S)\s*$")


def detect(text: str) -> bool:
    """Chapter lines at the margin, indented numbered questions, most with a deeper answer line;
    plain text (a Markdown file with headings or fences is not this format)."""
    lines = text.splitlines()
    if any(re.match(r"^(#{1,6}\s|\s*```)", line) for line in lines):
        return False
    chapters = sum(1 for line in lines if _CHAPTER.match(line))
    questions = [i for i, line in enumerate(lines) if _QUESTION.match(line) and indent_of(line) <= 4]
    answered = sum(
        1
        for i in questions
        if (following := next((later for later in lines[i + 1 :] if later.strip()), None)) is not None
        and indent_of(following) > indent_of(lines[i])
    )
    return chapters >= 2 and len(questions) >= chapters and answered * 2 >= len(questions)


def parse(text: str) -> ParsedSeed:
    lines = text.splitlines()
    seed = ParsedSeed(FORMAT)
    chapter: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        depth = indent_of(line)
        if depth == 0:
            chapter = line.strip()
            seed.claim(i + 1, i + 1)
            i += 1
            continue
        match = _QUESTION.match(line)
        if not match:
            i += 1  # a stray indented line outside any question: reported as unaccounted
            continue
        q_line = i + 1
        i += 1
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or indent_of(lines[i]) > depth):
            body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        seed.claim(q_line, q_line + len(body))
        answer = nested_lines_to_markdown(body)
        seed.items.append(RawItem(match.group(2), answer, q_line, int(match.group(1)), chapter))
    return seed
