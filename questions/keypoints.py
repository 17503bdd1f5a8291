"""Reading a reference answer (Markdown): what kind of answer it is, and its key points.

Key points are the answer's own statements, one per bullet or sentence, with labels
("MLP的优点："), sub-questions, references and media left out. Long sentences are cut at
clause boundaries so that each point stays short enough to check in a reply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .kinds import AnswerKind

__all__ = ["AnswerFacts", "analyse_answer", "answer_kind", "extract_key_points", "MAX_POINT_CHARS"]

MAX_POINT_CHARS = 60  # a longer sentence is cut at its commas into pieces about this long

_markdown = MarkdownIt("commonmark")
_URL = re.compile(r"https?://[^\s)>\]，。；]+")
_ENUMERATOR = re.compile(r"^\s*(?:\d+\s*[、.．)）:](?!\d)|[（(]\d+[)）]|[A-Za-z][.、)]\s|[-*•·]\s)\s*")
_SENTENCE_END = re.compile(r"(?<=[。！!；;])|(?<=[.?])\s+(?=[A-Z(\"'])")
_OPENING = "(（[【{"
_CLOSING = ")）]】}"
_LABEL_END = re.compile(r"[：:]\s*$")
_QUESTION_END = re.compile(r"[？?]\s*$")
_REFERENCE = re.compile(
    r"^(引申|参考|相关链接|计算详情参考|详见|具体见|延伸阅读|扩展阅读|"
    r"(more|further) reading|read more|see also|learn more|references?\b|sources?\s*[:：]|related\s*[:：]|"
    r"《[^》]{1,30}》\s*(ch|第)?\s*\d+(\.\d+)*)",  # "《深度学习》 8.4 参数初始化策略": where it comes from
    re.I,
)
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$|^\s*\|?\s*:?-{3,}:?\s*\|")  # a Markdown table's row or rule
_DISPLAY_MATH = "$$"
_WRAPPING = "_*~ \t"  # emphasis around a whole line ("_More reading: …_")
_ONE_WORD = re.compile(r"^[A-Za-z0-9_.+\-/]+$")  # "Dropout", "L2", "0.5": a fragment, not a claim
_ASIDE = re.compile(r"^[（(][^()（）]*[)）]$")  # "(如图，……)": a remark about a figure, not a point
_MEANINGFUL = re.compile(r"[\u4e00-\u9fff]|[A-Za-z0-9]{2,}")
_IMG_TAG = re.compile(r"<img\b", re.I)


@dataclass(frozen=True)
class _Line:
    text: str
    depth: int  # list nesting depth of the block it came from
    bold: bool  # the whole line was strong emphasis (a label)


@dataclass(frozen=True)
class AnswerFacts:
    kind: AnswerKind
    key_points: list[str]


def _inline_lines(inline: Token) -> tuple[list[tuple[str, bool]], set[str]]:
    """The visible text lines of an inline token, and which media it holds."""
    media: set[str] = set()
    lines: list[tuple[str, bool]] = []
    parts: list[str] = []
    plain_chars = 0  # characters outside strong emphasis
    strong = 0
    in_link = 0

    def end_line() -> None:
        nonlocal parts, plain_chars
        text = "".join(parts).strip()
        if text:
            lines.append((text, plain_chars == 0))
        parts, plain_chars = [], 0

    for child in inline.children or []:
        kind = child.type
        if kind == "image":
            media.add("image")
        elif kind == "html_inline":
            if _IMG_TAG.search(child.content):
                media.add("image")
        elif kind == "link_open":
            media.add("link")
            in_link += 1
        elif kind == "link_close":
            in_link -= 1
        elif kind in ("em_open", "em_close") and not in_link:
            parts.append(child.markup)  # "q*k" in prose is not emphasis: keep the author's characters
        elif kind == "strong_open":
            strong += 1
        elif kind == "strong_close":
            strong -= 1
        elif kind in ("softbreak", "hardbreak"):
            end_line()
        elif kind in ("text", "code_inline") and not in_link:
            content = child.content
            if _URL.search(content):
                media.add("link")
                content = _URL.sub("", content)
            parts.append(content)
            if not strong and content.strip():
                plain_chars += len(content.strip())
    end_line()
    return lines, media


def _walk(markdown: str) -> tuple[list[_Line], set[str]]:
    media: set[str] = set()
    lines: list[_Line] = []
    depth = 0
    in_heading = False  # a sub-heading inside an answer ("#### 特征选择") labels what follows
    for token in _markdown.parse(markdown):
        if token.type in ("heading_open", "heading_close"):
            in_heading = token.type == "heading_open"
        elif token.type in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif token.type in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif token.type in ("fence", "code_block"):
            media.add("code")
        elif token.type == "html_block":
            if _IMG_TAG.search(token.content):
                media.add("image")
            elif token.content.strip():
                media.add("html")
        elif token.type == "inline":
            found, inline_media = _inline_lines(token)
            media |= inline_media
            lines.extend(_Line(text, depth, bold or in_heading) for text, bold in found)
    return lines, media


def _clauses(sentence: str) -> list[str]:
    """Split after commas that are not inside brackets: "Wq（dim, dim）" stays whole."""
    clauses, start, depth = [], 0, 0
    for index, char in enumerate(sentence):
        if char in _OPENING:
            depth += 1
        elif char in _CLOSING:
            depth = max(0, depth - 1)
        elif char in "，," and depth == 0:
            clauses.append(sentence[start : index + 1])
            start = index + 1
    if start < len(sentence):
        clauses.append(sentence[start:])
    return clauses


def _split_long(sentence: str) -> list[str]:
    if len(sentence) <= MAX_POINT_CHARS + MAX_POINT_CHARS // 3:
        return [sentence]
    pieces: list[str] = []
    current = ""
    for clause in _clauses(sentence):
        if current and len(current) + len(clause) > MAX_POINT_CHARS:
            pieces.append(current)
            current = ""
        current += clause
    if current:
        # A short tail belongs to the piece before it.
        if pieces and len(current) < MAX_POINT_CHARS // 4:
            pieces[-1] += current
        else:
            pieces.append(current)
    return pieces


def _clean(text: str) -> str:
    text = _ENUMERATOR.sub("", text.strip()).strip()
    return text.strip(" ，,。；;、.").strip()


def _points_from_lines(lines: list[_Line]) -> list[str]:
    points: list[str] = []
    labels: dict[int, str] = {}  # depth -> the label heading the items below it
    in_math = False
    reference_depth: int | None = None
    rows: list[list[str]] = []  # a table's rows: points only when the answer has nothing else
    for line in lines:
        for deeper in [d for d in labels if d > line.depth]:
            del labels[deeper]
        raw = line.text.strip()
        if raw.startswith(_DISPLAY_MATH):
            if raw == _DISPLAY_MATH:
                in_math = not in_math
            continue  # a display formula, or one of its delimiters
        if in_math:
            continue
        if _TABLE_ROW.match(raw):
            cells = [cell.strip() for cell in raw.strip().strip("|").split("|")]
            if not all(re.fullmatch(r":?-{3,}:?", cell) for cell in cells if cell):
                rows.append([cell for cell in cells if cell])
            continue
        if reference_depth is not None and line.depth > reference_depth:
            continue  # the links or titles listed under "See also:"
        reference_depth = None
        text = _clean(line.text)
        if _REFERENCE.match(text.strip(_WRAPPING)):
            reference_depth = line.depth
            continue
        if not _MEANINGFUL.search(text) or _ASIDE.match(text):
            continue
        if line.bold or _LABEL_END.search(line.text) or _QUESTION_END.search(text):
            labels[line.depth] = _LABEL_END.sub("", text).strip("* ")
            continue
        parent_label = next((labels[d] for d in sorted(labels, reverse=True) if d < line.depth), None)
        if parent_label and len(text) <= 12:
            text = f"{parent_label}：{text}"  # "min-max" alone says little; "归一化类型：min-max" does
        pieces = [piece for sentence in _SENTENCE_END.split(text) for piece in _split_long(sentence)]
        for piece in pieces:
            point = _clean(piece)
            if len(pieces) > 1 and _ONE_WORD.match(point):
                continue  # a word left over from splitting ("e.g", "vs"), not a claim
            if _MEANINGFUL.search(point) and not _ASIDE.match(point) and point not in points:
                points.append(point)
    if not points:
        # A table and nothing else: each body row says "<first cell>：<the other cells>".
        for cells in rows[1:]:
            point = f"{cells[0]}：{'，'.join(cells[1:])}" if len(cells) > 1 else (cells[0] if cells else "")
            if _MEANINGFUL.search(point) and point not in points:
                points.append(point)
    return points


def analyse_answer(markdown: str) -> AnswerFacts:
    """Classify an answer and extract its key points.

    >>> facts = analyse_answer("- 列表可以修改\\n- 元组不可修改")
    >>> facts.kind.value, facts.key_points
    ('text', ['列表可以修改', '元组不可修改'])
    """
    if not markdown.strip():
        return AnswerFacts(AnswerKind.NONE, [])
    lines, media = _walk(markdown)
    points = _points_from_lines(lines)
    if "code" in media:
        kind = AnswerKind.CODE
    elif points:
        kind = AnswerKind.TEXT
    elif "image" in media:
        kind = AnswerKind.IMAGE
    elif "link" in media:
        kind = AnswerKind.LINK
    else:
        kind = AnswerKind.TEXT
        points = [_clean(markdown) or markdown.strip()]
    return AnswerFacts(kind, points)


def answer_kind(markdown: str) -> AnswerKind:
    return analyse_answer(markdown).kind


def extract_key_points(markdown: str) -> list[str]:
    return analyse_answer(markdown).key_points
