"""Hexo blog posts: YAML front matter, `## section` headings, and numbered lists where each
top-level item is a question and its nested items (images, fenced code, sub-lists) are the answer.

    ## 计算机视觉
    1. 计算IOU
       1. <img src="…" width="600">
       4. 代码
       ```python
          def box_iou_xyxy(box1, box2): …
       ```
"""

from __future__ import annotations

import re

import yaml
from markdown_it import MarkdownIt

from .base import ParsedSeed, RawItem, SeedFormatError, dedent_block

__all__ = ["FORMAT", "detect", "parse"]

FORMAT = "hexo"

_FENCE = re.compile(r"^---\s*$")
_HEXO_TAG = re.compile(r"^\s*\{%\s*(\w+).*%\}\s*$")
_LIST_MARKER = re.compile(r"^\s*(\d+)[.)]\s+")
_BOILERPLATE = re.compile(r"^\s*(<meta\b[^>]*>|<!--\s*more\s*-->)\s*$", re.I)

_markdown = MarkdownIt("commonmark")


def detect(text: str) -> bool:
    """Front matter, `## ` sections, and top-level numbered questions with nested answers — at least
    as many as there are sections (a post whose headings are the questions is not this format)."""
    lines = text.splitlines()
    if not lines or not _FENCE.match(lines[0]):
        return False
    sections = sum(1 for line in lines if line.startswith("## "))
    with_answers = sum(
        1
        for index, line in enumerate(lines[:-1])
        if re.match(r"^\d+[.)]\s+", line) and lines[index + 1][:1] in (" ", "\t")
    )
    return sections >= 1 and with_answers >= sections


def _front_matter(lines: list[str], seed: ParsedSeed) -> int:
    """Skip the front matter; return the index of the first body line."""
    for end in range(1, len(lines)):
        if _FENCE.match(lines[end]):
            try:
                meta = yaml.safe_load("\n".join(lines[1:end])) or {}
            except yaml.YAMLError as exc:
                raise SeedFormatError(f"front matter is not valid YAML: {exc}") from None
            if isinstance(meta, dict) and meta.get("title"):
                seed.title = str(meta["title"])
            for number in range(1, end + 2):
                seed.skip(number, "front matter")
            return end + 1
    raise SeedFormatError("front matter starting on line 1 is never closed")


def _skip_boilerplate(lines: list[str], start: int, seed: ParsedSeed) -> list[str]:
    """Blank out hexo tags, their note boxes and page boilerplate, keeping line numbers."""
    body = [""] * start + lines[start:]
    inside_tag: str | None = None
    for index in range(start, len(lines)):
        line = lines[index]
        tag = _HEXO_TAG.match(line)
        if tag:
            name = tag.group(1)
            seed.skip(index + 1, f"hexo tag {{% {name} %}}")
            inside_tag = None if name.startswith("end") else name
            body[index] = ""
        elif inside_tag and line.strip():
            seed.skip(index + 1, f"text of the {{% {inside_tag} %}} box (page intro, not a question)")
            body[index] = ""
        elif _BOILERPLATE.match(line):
            seed.skip(index + 1, "page boilerplate")
            body[index] = ""
    return body


def parse(text: str) -> ParsedSeed:
    lines = text.splitlines()
    seed = ParsedSeed(FORMAT)
    body = _skip_boilerplate(lines, _front_matter(lines, seed), seed)
    tokens = _markdown.parse("\n".join(body))
    section: str | None = None
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            section = tokens[index + 1].content.strip()
            seed.claim(token.map[0] + 1, token.map[1])
        elif token.type == "list_item_open" and token.level == 1 and token.map:
            first, end = token.map
            paragraph = tokens[index + 1]
            if paragraph.type != "paragraph_open" or not paragraph.map:
                raise SeedFormatError(f"line {first + 1}: list item without question text")
            question_end = paragraph.map[1]
            question = " ".join(
                _LIST_MARKER.sub("", line, count=1).strip() for line in body[first:question_end]
            ).strip()
            marker = _LIST_MARKER.match(body[first])
            answer_lines = dedent_block(body[question_end:end])
            answer = "\n".join(answer_lines).strip("\n")
            seed.claim(first + 1, end)
            number = int(marker.group(1)) if marker else None
            seed.items.append(RawItem(question, answer, first + 1, number, section))
    return seed
