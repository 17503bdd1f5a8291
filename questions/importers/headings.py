"""Seeds where each question is a `## heading` and the answer is the quoted (`>`) text under it,
with optional plain lines between quotes (sub-question labels, links) and images.

    ## 为什么numpy 比 list快
    > list 慢是显然的……
    >
    > 	1.底层实现为C等更机器级别的语言
"""

from __future__ import annotations

import re

from .base import ParsedSeed, RawItem, expand

__all__ = ["FORMAT", "detect", "parse"]

FORMAT = "headings"

_TITLE = re.compile(r"^#\s+(.*\S)\s*$")
_QUESTION = re.compile(r"^##\s+(.*\S)\s*$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_IMAGE_LINE = re.compile(r"^\s*!\[[^\]]*\]\(([^)\s]+)[^)]*\)\s*$")
_POINTS_AT_FIGURE = re.compile(r"[上下如该此]图")
_OTHER_STRUCTURE = re.compile(r"^(#{3,6}\s|\s*([-*+]|\d+[.)])\s|\s*```|\s*~~~|\s*<!--|\s*<details|\s*\[toc\])", re.I)


def detect(text: str) -> bool:
    """`## ` questions, most of them answered by a quote; nothing else of Markdown's structure (no
    deeper headings, lists, fences, front matter or comments), which notes of that shape would have."""
    lines = text.splitlines()
    if any(_OTHER_STRUCTURE.match(line) for line in lines) or (lines and lines[0].strip() in ("---", "+++")):
        return False
    sections = quoted = 0
    in_quoted_section = False
    for line in lines:
        if _QUESTION.match(line) or _TITLE.match(line):
            sections += bool(_QUESTION.match(line))
            in_quoted_section = False
        elif _QUOTE.match(line) and not in_quoted_section and sections:
            quoted += 1
            in_quoted_section = True
    return sections >= 1 and quoted * 2 >= sections


def _finish(seed: ParsedSeed, question: str, q_line: int, body: list[tuple[int, str]]) -> None:
    blocks: list[list[str]] = []
    images: list[str] = []
    current: list[str] = []
    seen_answer = False
    in_quote = False

    def flush() -> None:
        nonlocal current
        if current:
            blocks.append(current)
            current = []

    for _, line in body:
        quote = _QUOTE.match(line)
        if quote:
            content = expand(quote.group(1)).strip()
            if not in_quote:
                flush()
            in_quote = True
            if content:
                current.append(content)
                seen_answer = True
            else:
                flush()
            continue
        in_quote = False
        flush()
        if not line.strip():
            continue
        image = _IMAGE_LINE.match(line)
        if image and not seen_answer and _POINTS_AT_FIGURE.search(question):
            images.append(image.group(1))  # the figure the question asks about
        elif image or "](" in line or re.search(r"https?://", line):
            blocks.append([line.strip()])
            seen_answer = True
        else:
            blocks.append([f"**{line.strip()}**"])  # a sub-question or label inside the answer
            seen_answer = True
    flush()
    answer = "\n\n".join("\n".join(block) for block in blocks)
    seed.items.append(RawItem(question, answer, q_line, images=tuple(images)))


def parse(text: str) -> ParsedSeed:
    lines = text.splitlines()
    seed = ParsedSeed(FORMAT)
    question: tuple[str, int] | None = None
    body: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        heading = _QUESTION.match(line)
        title = _TITLE.match(line)
        if heading or title:
            if question:
                _finish(seed, question[0], question[1], body)
            question, body = None, []
            if heading:
                question = (heading.group(1), number)
                seed.claim(number, number)
            else:
                seed.title = title.group(1)  # type: ignore[union-attr]
                seed.skip(number, "document title")
            continue
        if question:
            body.append((number, line))
            seed.claim(number, number)
    if question:
        _finish(seed, question[0], question[1], body)
    return seed
