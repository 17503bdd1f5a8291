"""Seeds where each question is a top-level bullet `- N、question` and its answer is the indented
sub-bullets under it (spaces or tabs). Many questions here have no sub-bullets: no answer.

    - 9、BN训练和测试时的参数是一样的嘛？
        - 对于BN，在训练时，是对每一批的训练数据进行归一化……
"""

from __future__ import annotations

import re

from .base import ParsedSeed, RawItem, dedent_block, indent_of

__all__ = ["FORMAT", "detect", "parse"]

FORMAT = "bullets"

_QUESTION = re.compile(r"^[-*+]\s+(?:(\d+)\s*[、.．]\s*)?(.*\S)\s*$")
_NUMBERED = re.compile(r"^[-*+]\s+\d+\s*[、.．]")


def detect(text: str) -> bool:
    """Numbered top-level bullets make most of the file's top-level lines, and no Markdown headings."""
    lines = text.splitlines()
    if any(re.match(r"^#{1,6}\s", line) for line in lines):
        return False
    numbered = sum(1 for line in lines if _NUMBERED.match(line))
    top_level = sum(1 for line in lines if line.strip() and indent_of(line) == 0)
    return numbered >= 2 and numbered * 2 >= top_level


def parse(text: str) -> ParsedSeed:
    lines = text.splitlines()
    seed = ParsedSeed(FORMAT)
    i = 0
    while i < len(lines):
        match = _QUESTION.match(lines[i]) if indent_of(lines[i]) == 0 else None
        if not match:
            i += 1
            continue
        number = int(match.group(1)) if match.group(1) else None
        q_line = i + 1
        i += 1
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or indent_of(lines[i]) > 0):
            body.append(lines[i])
            i += 1
        while body and not body[-1].strip():
            body.pop()
        seed.claim(q_line, q_line + len(body))
        answer = "\n".join(dedent_block(body)).strip("\n")
        seed.items.append(RawItem(match.group(2), answer, q_line, number))
    return seed
