"""Hexo blog posts: YAML front matter, `## section` headings, and numbered lists where each
top-level item is a question and its nested items (images, fenced code, sub-lists) are the answer.
A post of that shape without Hexo's own marks (`{% … %}` tags, Hexo front-matter keys) is read the
same way as a `post` (Hakyll, Jekyll and other generators).

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

from .base import INTRODUCTION, ParsedSeed, RawItem, SeedFormatError, dedent_block, join_wrapped

__all__ = ["FORMAT", "STRUCTURE", "detect", "is_post", "is_hexo", "parse"]

FORMAT = "hexo"

_FENCE = re.compile(r"^---\s*$")
_HEXO_TAG = re.compile(r"^\s*\{%\s*(\w+).*%\}\s*$")
_LIST_MARKER = re.compile(r"^\s*(\d+)[.)]\s+")
_BOILERPLATE = re.compile(r"^\s*(<meta\b[^>]*>|<!--\s*more\s*-->)\s*$", re.I)

_markdown = MarkdownIt("commonmark")
# Front-matter keys Hexo writes and other generators do not (Jekyll has `layout`, Hakyll neither).
_HEXO_KEYS = re.compile(r"^(categories|urlname|abbrlink|comments|mathjax|top_img|cover|updated)\s*:", re.M)
_LAYOUT_KEY = re.compile(r"^(layout|permalink)\s*:", re.M)

STRUCTURE = "top-level numbered list items under ## sections (a blog post with front matter)"


def detect(text: str) -> bool:
    """A post of this shape written for Hexo."""
    return is_post(text) and is_hexo(text)


def is_hexo(text: str) -> bool:
    """Hexo's marks: a `{% … %}` tag, or front matter with Hexo's keys (and no Jekyll `layout`)."""
    if any(_HEXO_TAG.match(line) for line in text.splitlines()):
        return True
    head = text.split("\n---", 1)[0]
    return bool(_HEXO_KEYS.search(head)) and not _LAYOUT_KEY.search(head)


def is_post(text: str) -> bool:
    """Front matter, `## ` sections, and top-level numbered questions with nested answers — at least
    as many as there are sections (a post whose headings are the questions is not this shape)."""
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


def parse(text: str, fmt: str = FORMAT) -> ParsedSeed:
    lines = text.splitlines()
    seed = ParsedSeed(fmt, structure=STRUCTURE)
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
            question = join_wrapped([_LIST_MARKER.sub("", line, count=1) for line in body[first:question_end]])
            marker = _LIST_MARKER.match(body[first])
            answer_lines = dedent_block(body[question_end:end])
            answer = "\n".join(answer_lines).strip("\n")
            seed.claim(first + 1, end)
            number = int(marker.group(1)) if marker else None
            seed.items.append(RawItem(question, answer, first + 1, number, section))
    _skip_introduction(body, seed)
    numbers = [item.number for item in seed.items]
    if len(numbers) >= 3 and set(numbers) == {1}:  # Markdown's "1." on every item numbers nothing
        seed.items = [RawItem(i.question, i.answer, i.line, None, i.section, i.images) for i in seed.items]
    return seed


def _skip_introduction(body: list[str], seed: ParsedSeed) -> None:
    """The post's text before its first question or section heading is its introduction."""
    first = min([item.line for item in seed.items] + sorted(seed.claimed)[:1] or [len(body) + 1])
    for number in range(1, first):
        if body[number - 1].strip() and number not in seed.claimed and number not in seed.skipped:
            seed.skip(number, INTRODUCTION)
