"""The lines of a notes file, each classified once: heading, list item, quote, plain text, rule…

Code fences, `$$` math blocks, HTML comments, `<details>` blocks and multi-line HTML blocks are
containers: the lines inside them keep their text but are never taken for headings or questions
(a `# comment` in a Python block is not a heading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import Enum

__all__ = ["LineKind", "Line", "classify_lines", "strip_emphasis", "BOLD_LINE"]


class LineKind(str, Enum):
    BLANK = "blank"
    HEADING = "heading"  # `## text`, a `===` underlined title, or a section line such as 第一部分：基础
    ITEM = "item"  # a list item: `- text`, `1. text`, `1、text`, `(1) text`, `• text`
    QUOTE = "quote"  # `> text`
    TEXT = "text"
    RULE = "rule"  # `---`, `***`, `___`
    TABLE = "table"  # `| a | b |`
    HTML = "html"  # a line that is an HTML tag (`<div>`, `<img …>`, `<details>`)
    CODE = "code"  # inside a fenced code block, fences included
    MATH = "math"  # inside a `$$` block, delimiters included
    COMMENT = "comment"  # inside `<!-- … -->`


@dataclass(frozen=True)
class Line:
    number: int  # 1-based
    raw: str
    kind: LineKind
    indent: int = 0
    level: int = 0  # heading level (1-6)
    marker: str = ""  # the list marker as written: "-", "1.", "1、", "(1)"
    text: str = ""  # the content without its marker, `#`s or `>`
    container: str | None = None  # "code", "math", "comment", "details", "html" when inside one
    pseudo: bool = False  # a plain-text section line taken as a heading

    @property
    def blank(self) -> bool:
        return self.kind is LineKind.BLANK


_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_MATH_OPEN = re.compile(r"^\s*\$\$")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?)|(?=[\u3400-\u9fff])(.*?)|)[ \t]*$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+$")
_SETEXT_H1 = re.compile(r"^ {0,3}=+\s*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ITEM = re.compile(
    r"^(?P<indent>[ \t]*)"
    r"(?P<marker>[-*+](?=[ \t])|[•·●▪◦]|\d{1,3}(?:[.．](?!\d)|[)）、])|[（(]\d{1,3}[)）]|[①-⑳])"
    r"[ \t]*(?P<text>.*)$"
)
_QUOTE = re.compile(r"^ {0,3}>[ \t]?(.*)$")
_TABLE = re.compile(r"^\s*\|.*\|\s*$|^\s*\|?\s*:?-{3,}:?\s*\|")
_HTML_TAG = re.compile(r"^\s*</?([A-Za-z][A-Za-z0-9]*)\b[^>]*>")
_VOID_OR_INLINE = {"img", "br", "hr", "meta", "a", "b", "strong", "i", "em", "span", "sup", "sub", "input", "link", "source"}
_COMMENT_OPEN = "<!--"
_COMMENT_CLOSE = "-->"
_DETAILS_OPEN = re.compile(r"<details\b[^>]*>", re.I)
_DETAILS_CLOSE = re.compile(r"</details\s*>", re.I)
# Plain-text section lines: 第一部分：基础知识, 第3章 优化, 一、机器学习基础 (short, no sentence end).
_SECTION_LINE = re.compile(r"^(?:第[一二三四五六七八九十百零\d]+[部分章节篇讲]|[一二三四五六七八九十]{1,3}[、.．])\s*\S")
_SENTENCE_END = re.compile(r"[。；;，,！!]\s*$")
BOLD_LINE = re.compile(r"^(?:\*\*|__)(?P<text>.+?)(?:\*\*|__)\s*[:：]?\s*$")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")


def strip_emphasis(text: str) -> str:
    """`**a** b` -> `a b` (strong emphasis only; single `*` is often a multiplication sign)."""
    return _EMPHASIS.sub(r"\2", text).strip()


def _indent(raw: str) -> int:
    expanded = raw.expandtabs(4)
    return len(expanded) - len(expanded.lstrip(" \u3000"))


def _plain(number: int, raw: str, previous_blank: bool) -> Line:
    """A line outside containers."""
    stripped = raw.strip()
    indent = _indent(raw)
    if not stripped:
        return Line(number, raw, LineKind.BLANK)
    if _RULE.match(raw):
        return Line(number, raw, LineKind.RULE, indent)
    heading = _HEADING.match(raw)
    if heading:
        text = (heading.group(2) or heading.group(3) or "").strip()
        text = _CLOSING_HASHES.sub("", text).strip()
        return Line(number, raw, LineKind.HEADING, indent, len(heading.group(1)), text=text)
    quote = _QUOTE.match(raw)
    if quote:
        return Line(number, raw, LineKind.QUOTE, indent, text=quote.group(1).strip())
    if _TABLE.match(raw):
        return Line(number, raw, LineKind.TABLE, indent, text=stripped)
    item = _ITEM.match(raw)
    if item and item.group("text").strip():
        return Line(number, raw, LineKind.ITEM, indent, marker=item.group("marker"), text=item.group("text").strip())
    if _HTML_TAG.match(raw):
        return Line(number, raw, LineKind.HTML, indent, text=stripped)
    if (
        indent == 0
        and previous_blank
        and _SECTION_LINE.match(stripped)
        and len(stripped) <= 30
        and not _SENTENCE_END.search(stripped)
    ):
        level = 1 if stripped.startswith("第") else 2
        return Line(number, raw, LineKind.HEADING, indent, level, text=stripped, pseudo=True)
    return Line(number, raw, LineKind.TEXT, indent, text=stripped)


def _html_block_end(lines: list[str], start: int) -> int | None:
    """The last line of a multi-line HTML block opened on `start` (`<div …>` … `</div>`), if any."""
    tag = _HTML_TAG.match(lines[start])
    if not tag or tag.group(1).lower() in _VOID_OR_INLINE or lines[start].lstrip().startswith("</"):
        return None
    name = tag.group(1).lower()
    if name == "details":
        return None
    opening = re.compile(rf"<{name}\b", re.I)
    closing = re.compile(rf"</{name}\s*>", re.I)
    depth = 0
    for index in range(start, len(lines)):
        depth += len(opening.findall(lines[index])) - len(closing.findall(lines[index]))
        if depth <= 0:
            return index if index > start else None
        if index > start and not lines[index].strip():
            return None  # an HTML block ends at a blank line
    return None


def _block_end(lines: list[str], start: int) -> tuple[int, LineKind, str] | None:
    """The last line, kind and container of a fenced block, `$$` block or comment opened at `start`."""
    raw = lines[start]
    stripped = raw.strip()
    fence = _FENCE.match(raw)
    if fence:
        closing = re.compile(rf"^\s*{re.escape(fence.group(1)[0])}{{{len(fence.group(1))},}}\s*$")
        end = next((k for k in range(start + 1, len(lines)) if closing.match(lines[k])), len(lines) - 1)
        return end, LineKind.CODE, "code"
    if _MATH_OPEN.match(raw) and not (stripped.endswith("$$") and len(stripped) > 4):
        end = next((k for k in range(start + 1, len(lines)) if "$$" in lines[k]), len(lines) - 1)
        return end, LineKind.MATH, "math"
    if stripped.startswith(_COMMENT_OPEN):
        end = next((k for k in range(start, len(lines)) if _COMMENT_CLOSE in lines[k]), None)
        if end is not None and lines[end].strip().endswith(_COMMENT_CLOSE):
            return end, LineKind.COMMENT, "comment"
        return None
    end = _html_block_end(lines, start)
    return (end, LineKind.HTML, "html") if end is not None else None


def classify_lines(text: str) -> list[Line]:
    """Classify every line of `text` (newlines already normalised)."""
    raw_lines = text.split("\n")
    if raw_lines and raw_lines[-1] == "":
        raw_lines.pop()
    out: list[Line] = []
    index = 0
    details_depth = 0
    while index < len(raw_lines):
        raw = raw_lines[index]
        opens, closes = len(_DETAILS_OPEN.findall(raw)), len(_DETAILS_CLOSE.findall(raw))
        block = None if opens or closes else _block_end(raw_lines, index)
        if block is not None:
            end, kind, container = block
            for k in range(index, end + 1):
                out.append(Line(k + 1, raw_lines[k], kind, _indent(raw_lines[k]), text=raw_lines[k].strip(), container=container))
            index = end + 1
            continue
        line = _plain(index + 1, raw, not out or out[-1].blank)
        if opens or closes or details_depth:
            inside = details_depth > 0 or opens > 0
            details_depth = max(0, details_depth + opens - closes)
            line = replace(line, container="details" if inside else None)
        elif _SETEXT_H1.match(raw) and out and out[-1].kind is LineKind.TEXT and (len(out) < 2 or out[-2].blank):
            out[-1] = replace(out[-1], kind=LineKind.HEADING, indent=0, level=1)
            line = Line(index + 1, raw, LineKind.RULE)  # the underline itself
        out.append(line)
        index += 1
    if any(line.kind is LineKind.HEADING and not line.pseudo and line.container is None for line in out):
        # Markdown headings give the sections; a "一、…" line among them is text (a point of an answer).
        out = [replace(line, kind=LineKind.TEXT, level=0, pseudo=False) if line.pseudo else line for line in out]
    return out
