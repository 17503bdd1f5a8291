"""Seeds where each question is a quote line `> N、question` followed by a collapsible answer:

    > 1、Transformer为什么除以根号d_k
    <details>
      <summary>答案</summary>
      answer lines, possibly indented further for sub-points
    </details>
"""

from __future__ import annotations

import re

from .base import ParsedSeed, RawItem, SeedFormatError, nested_lines_to_markdown

__all__ = ["FORMAT", "detect", "parse"]

FORMAT = "details"

_QUESTION = re.compile(r"^>\s*(\d+)\s*[、.．]\s*(.*\S)\s*$")
_OPEN = re.compile(r"<details\s*>", re.I)
_CLOSE = re.compile(r"</details\s*>", re.I)
_SUMMARY = re.compile(r"<summary>.*?</summary>", re.I)


def detect(text: str) -> bool:
    """Quoted numbered questions, most `<details>` blocks right under one (a quoted "> 1. …" inside
    answers of another shape does not make a file this format)."""
    lines = text.splitlines()
    opened = sum(1 for line in lines if _OPEN.search(line))
    answered = 0
    for index, line in enumerate(lines):
        if _QUESTION.match(line):
            following = next((later for later in lines[index + 1 :] if later.strip()), "")
            answered += bool(_OPEN.search(following))
    return answered >= 1 and answered * 2 >= opened


def parse(text: str) -> ParsedSeed:
    lines = text.splitlines()
    seed = ParsedSeed(FORMAT)
    i = 0
    while i < len(lines):
        match = _QUESTION.match(lines[i])
        if not match:
            i += 1
            continue
        number, question, q_line = int(match.group(1)), match.group(2), i + 1
        seed.claim(q_line, q_line)
        i += 1
        while i < len(lines) and not lines[i].strip():
            i += 1
        answer_lines: list[str] = []
        if i < len(lines) and _OPEN.search(lines[i]):
            start = i
            while i < len(lines) and not _CLOSE.search(lines[i]):
                i += 1
            if i == len(lines):
                raise SeedFormatError(f"line {start + 1}: <details> is never closed")
            for raw in lines[start : i + 1]:
                content = _CLOSE.sub("", _SUMMARY.sub("", _OPEN.sub("", raw)))
                if content.strip():
                    answer_lines.append(content)
            seed.claim(start + 1, i + 1)
            i += 1
        seed.items.append(RawItem(question, nested_lines_to_markdown(answer_lines), q_line, number))
    return seed
