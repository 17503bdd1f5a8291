"""Reading a reference answer (Markdown): what kind of answer it is, and its key points.

Key points are the answer's own statements, one per bullet or sentence, with labels
("MLP的优点："), sub-questions, references and media left out. Long sentences are cut at clause
boundaries so that each point stays short enough to check in a reply.

Two sets of rules: `SEED_RULES`, by which the five seed documents' bank files were written (their
`imported` digests depend on them, so they never change), and `NOTES_RULES` for imported notes,
posts and decks, which also join hard-wrapped lines, keep a link's text, leave out formula lines,
pandoc attributes and lead-in words, take a table that is the answer's main content as
"term: fact" points, read an answer that only points elsewhere ("请参考[…](…)") as a link answer
without key points, and keep at most the answer's first `MAX_EXTRACTED` points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .kinds import AnswerKind

__all__ = [
    "AnswerFacts", "Rules", "SEED_RULES", "NOTES_RULES", "analyse_answer", "answer_kind", "extract_key_points",
    "MAX_POINT_CHARS", "MAX_EXTRACTED",
]  # fmt: skip

MAX_POINT_CHARS = 60  # a longer sentence is cut at its commas into pieces about this long
MAX_EXTRACTED = 7  # the lint's maximum: a long answer's first claims, not a list to recite
_WRAP_WIDTH = 60  # a line at least this wide (a CJK character counts 2) that ends mid-sentence was wrapped
_LEAD_IN_CHARS = 20  # a clause this short before a comma leads into the next one ("For example,")
_TERM_CHARS = 20  # an item under a label this short is a bare term ("Photo enhancement")

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
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")
_ATTRIBUTES = re.compile(r"\{[#.][^{}]*\}")  # a pandoc attribute: "{#fig:noFreeLunch}"
_CITATION = re.compile(r"^\[?(src|source|sources|link|here|ref|\d{1,3}|原文|链接|来源|出处)\]?$", re.I)
_WIDE = re.compile(r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]")
_CJK = re.compile(r"[\u3400-\u9fff]")
_SENTENCE_DONE = re.compile(r"[。！？!?；;:：.]\s*$")
_INLINE_MATH = re.compile(r"\$[^$]+\$")
_LATEX = re.compile(r"\\(begin|end|frac|sum|left|right|mathbb|mathrm|cdot|times|quad)\b|\\\\\s*$|^\s*&|&\s*&")
_LEAD_IN = re.compile(r"^\s*(其中|即|令|设|where|let)\s*[，,：:]?\s*", re.I)
_LEAD_WORDS = re.compile(r"^(其中|即|如下|例如|比如|如图|注意|注|where|e\.g|i\.e|for example|for instance|in practice)$", re.I)
# What an answer that only points elsewhere says besides its links: "请参考[…](…)和[…](…)。", "See [here](…)".
_POINTER = re.compile(
    r"请参考|请参阅|请参见|参考|参阅|参见|请见|详见|具体见|可参考|请看|见|原文|链接|答案|以及|和|与|及|"
    r"\b(?:see|refer to|reference|references|more reading|further reading|read more|answer|source|src|here|"
    r"and|the|this|link|blog|post|article|for more|details?|at|in)\b",
    re.I,
)
_ANSWER_LABEL = re.compile(r"^(?:Answer|Ans|参考答案|答案|回答|解答|答)\s*[:：]\s*", re.I)  # "**Answer:** …" once bold is gone
_MD_LINK = re.compile(r"(?<!!)\[(?:[^\[\]]|\[[^\]]*\])*\]\([^)]*\)|<https?://[^>]+>|https?://\S+")


@dataclass(frozen=True)
class Rules:
    """How key points are extracted (see the module's docstring)."""

    tidy: bool  # the notes rules: wrapped lines joined, link text kept, junk left out, tables, pointers
    max_points: int | None


SEED_RULES = Rules(tidy=False, max_points=None)
NOTES_RULES = Rules(tidy=True, max_points=MAX_EXTRACTED)


@dataclass(frozen=True)
class _Line:
    text: str
    depth: int  # list nesting depth of the block it came from
    bold: bool  # the whole line was strong emphasis (a label)


@dataclass(frozen=True)
class AnswerFacts:
    kind: AnswerKind
    key_points: list[str]


def _width(text: str) -> int:
    return len(text) + len(_WIDE.findall(text))


def _wrapped(line: str) -> bool:
    """A line that goes on in the next one: wide, ending mid-sentence, not a formula's delimiter or
    a table's row."""
    return (
        _width(line) >= _WRAP_WIDTH
        and not _SENTENCE_DONE.search(line)
        and not line.startswith((_DISPLAY_MATH, "|"))
        and not line.endswith((_DISPLAY_MATH, "|"))
    )


def _joins(before: str, after: str) -> str:
    """The separator of two wrapped pieces of one line: none between CJK characters."""
    return "" if before and after and _WIDE.match(before[-1]) and _WIDE.match(after[0]) else " "


def _inline_lines(inline: Token, rules: Rules) -> tuple[list[tuple[str, bool]], set[str]]:
    """The visible text lines of an inline token, and which media it holds. With the notes rules a
    link keeps its text (not a citation marker such as "[src]"), and a line wrapped mid-sentence is
    joined to the next one."""
    media: set[str] = set()
    lines: list[tuple[str, bool]] = []
    parts: list[str] = []
    plain_chars = 0  # characters outside strong emphasis
    strong = 0
    in_link = 0
    link_text: list[str] = []

    def end_line() -> None:
        nonlocal parts, plain_chars
        text = "".join(parts).strip()
        if text:
            lines.append((text, plain_chars == 0))
        parts, plain_chars = [], 0

    def add(content: str) -> None:
        nonlocal plain_chars
        parts.append(content)
        if not strong and content.strip():
            plain_chars += len(content.strip())

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
            link_text = []
        elif kind == "link_close":
            in_link -= 1
            text = "".join(link_text).strip()
            if rules.tidy and text and not _CITATION.match(text) and not _URL.fullmatch(text):
                add(text)
        elif kind in ("em_open", "em_close") and not in_link:
            parts.append(child.markup)  # "q*k" in prose is not emphasis: keep the author's characters
        elif kind == "strong_open":
            strong += 1
        elif kind == "strong_close":
            strong -= 1
        elif kind == "hardbreak" or (kind == "softbreak" and not rules.tidy):
            end_line()
        elif kind == "softbreak":
            current = "".join(parts).split("\x00")[-1].strip()
            if in_link:
                link_text.append(" ")
            elif _wrapped(current):
                parts.append("\x00")  # joined to the next piece, unless that opens a formula
            else:
                end_line()
        elif kind in ("text", "code_inline"):
            content = child.content
            if parts and parts[-1] == "\x00" and content.lstrip().startswith((_DISPLAY_MATH, "|")):
                parts.pop()
                end_line()
            if _URL.search(content):
                media.add("link")
                content = _URL.sub("", content)
            if in_link:
                link_text.append(content)
            else:
                add(content)
    end_line()
    joined = []
    for text, bold in lines:
        while "\x00" in text:
            head, _, tail = text.partition("\x00")
            head, tail = head.rstrip(), tail.lstrip()
            text = head + _joins(head, tail) + tail
        joined.append((text, bold))
    return joined, media


def _walk(markdown: str, rules: Rules) -> tuple[list[_Line], set[str]]:
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
            found, inline_media = _inline_lines(token, rules)
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


# How much of a Chinese character an English sentence's character says: a 5-letter word and its
# space carry about what 2 Chinese characters do. An English sentence is then cut as rarely as a
# Chinese one of the same content ("In deep networks, gradients shrink …" stays whole, not "In deep
# networks" + the rest); a Chinese sentence with Latin terms counts as it is.
_ENGLISH_CHAR = 0.4


def _split_long(sentence: str, rules: Rules) -> list[str]:
    scale = 1.0 if _CJK.search(sentence) else _ENGLISH_CHAR

    def _size(text: str) -> float:
        return scale * len(text)

    if _size(sentence) <= MAX_POINT_CHARS + MAX_POINT_CHARS // 3:
        return [sentence]
    pieces: list[str] = []
    current = ""
    for clause in _clauses(sentence):
        lead_in = rules.tidy and len(current.strip()) < _LEAD_IN_CHARS and not _CJK.search(current)
        if current and _size(current) + _size(clause) > MAX_POINT_CHARS and not lead_in:
            pieces.append(current)
            current = ""
        current += clause
    if current:
        # A short tail belongs to the piece before it.
        if pieces and _size(current) < MAX_POINT_CHARS // 4:
            pieces[-1] += current
        else:
            pieces.append(current)
    return pieces


def _clean(text: str, rules: Rules = SEED_RULES) -> str:
    if rules.tidy:
        text = _ATTRIBUTES.sub("", _INVISIBLE.sub("", text)).replace("**", "")
    text = _ENUMERATOR.sub("", text.strip()).strip()
    return text.strip(" ，,。；;、.").strip()


def _formula(text: str) -> bool:
    """A line that is only a formula: "$L = \\frac{1}{2}…$", "\\begin{array}{rcl}", "1 & & x \\\\"."""
    if not _INLINE_MATH.sub("", text).strip(" ，,。；;:：=") and "$" in text:
        return True
    words = _LEAD_IN.sub("", _INLINE_MATH.sub("", text))
    return bool(_LATEX.search(text)) and not _CJK.search(words)


def _labelled(label: str, text: str) -> str:
    """"label: text" ("归一化类型：min-max", "Applications: Design tools")."""
    return f"{label}{'：' if _CJK.search(label + text) else ': '}{text}"


def _pointer_only(markdown: str) -> bool:
    """An answer that only points to where the answer is: links and the words that lead to them."""
    if not _MD_LINK.search(markdown) or re.search(r"!\[|<img\b|```", markdown, re.I):
        return False
    rest = _POINTER.sub("", _MD_LINK.sub("", markdown))
    return not re.sub(r"[\W_]+", "", rest)


def _table_points(rows: list[list[str]], rules: Rules) -> list[str]:
    """A table's body rows as "<first cell>：<the other cells>" (an ASCII ": " in English)."""
    points: list[str] = []
    for cells in rows[1:]:
        if not rules.tidy:
            point = f"{cells[0]}：{'，'.join(cells[1:])}" if len(cells) > 1 else (cells[0] if cells else "")
        elif len(cells) > 1:
            cells = [_clean(cell, rules) for cell in cells]
            wide = bool(_CJK.search("".join(cells)))
            point = _labelled(cells[0], ("，" if wide else ", ").join(cells[1:]))
        else:
            point = _clean(cells[0], rules) if cells else ""
        if _MEANINGFUL.search(point) and point not in points:
            points.append(point)
    return points


def _points_from_lines(lines: list[_Line], rules: Rules) -> list[str]:
    found: list[tuple[str, int | None]] = []  # (point, the label group it stands in)
    labels: dict[int, tuple[str, int]] = {}  # depth -> the label heading the items below it, its group
    groups: dict[int, str] = {}
    in_math = False
    reference_depth: int | None = None
    rows: list[list[str]] = []  # a table's rows
    for line in lines:
        for deeper in [d for d in labels if d > line.depth]:
            del labels[deeper]
        raw = (_INVISIBLE.sub("", line.text) if rules.tidy else line.text).strip()
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
        text = _clean(raw if rules.tidy else line.text, rules)
        if rules.tidy:
            text = _ANSWER_LABEL.sub("", text, count=1)
        reference = _REFERENCE.match(text.strip(_WRAPPING))
        if reference:
            # "See also:" heads a list of references; "参考 Megatron-LM 的做法" followed by claims does not.
            cue_only = reference.end() >= len(text.strip(_WRAPPING).rstrip(":： "))
            if not rules.tidy or _LABEL_END.search(text) or cue_only:
                reference_depth = line.depth
            continue
        if not _MEANINGFUL.search(text) or _ASIDE.match(text):
            continue
        if rules.tidy and (_formula(text) or _LEAD_WORDS.match(text)):
            continue
        if line.bold or _LABEL_END.search(line.text) or _QUESTION_END.search(text):
            label = _LABEL_END.sub("", text).strip("* ")
            labels[line.depth] = (label, len(groups))
            groups[len(groups)] = label
            continue
        parent = next((labels[d] for d in sorted(labels, reverse=True) if d < line.depth), None)
        group = None
        if parent and rules.tidy and not re.search(r"[:：]", text):
            group = parent[1]
        elif parent and not rules.tidy and len(text) <= 12:
            text = f"{parent[0]}：{text}"  # "min-max" alone says little; "归一化类型：min-max" does
        pieces = [piece for sentence in _SENTENCE_END.split(text) for piece in _split_long(sentence, rules)]
        for piece in pieces:
            point = _clean(piece, rules)
            if len(pieces) > 1 and (_ONE_WORD.match(point) or (rules.tidy and _LEAD_WORDS.match(point))):
                continue  # a word left over from splitting ("e.g", "vs"), not a claim
            if _MEANINGFUL.search(point) and not _ASIDE.match(point) and point not in [p for p, _ in found]:
                found.append((point, group if len(pieces) == 1 else None))
    points = _prefixed(found, groups)
    table = _table_points(rows, rules)
    if not points or (rules.tidy and len(table) > len(points)):
        points = [p for p in points if p not in table] + table  # the table is the answer's main content
    return points if rules.max_points is None else points[: rules.max_points]


def _prefixed(found: list[tuple[str, int | None]], groups: dict[int, str]) -> list[str]:
    """The items under one label take it all or none: all when every one of them is a bare term
    ("Applications: Design tools", "归一化类型：min-max"), none when any says more."""
    members: dict[int, list[str]] = {}
    for point, group in found:
        if group is not None:
            members.setdefault(group, []).append(point)
    terms = {group for group, points in members.items() if all(len(p) <= _TERM_CHARS for p in points)}
    return [_labelled(groups[group], point) if group in terms else point for point, group in found]


def analyse_answer(markdown: str, rules: Rules = SEED_RULES) -> AnswerFacts:
    """Classify an answer and extract its key points.

    >>> facts = analyse_answer("- 列表可以修改\\n- 元组不可修改")
    >>> facts.kind.value, facts.key_points
    ('text', ['列表可以修改', '元组不可修改'])
    >>> analyse_answer("请参考[文献阅读：范数](./deep-learning.html#范数)。", NOTES_RULES).kind.value
    'link'
    """
    if not markdown.strip():
        return AnswerFacts(AnswerKind.NONE, [])
    if rules.tidy and _pointer_only(markdown):
        return AnswerFacts(AnswerKind.LINK, [])
    lines, media = _walk(markdown, rules)
    points = _points_from_lines(lines, rules)
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
        points = [_clean(markdown, rules) or markdown.strip()]
    return AnswerFacts(kind, points)


def answer_kind(markdown: str, rules: Rules = SEED_RULES) -> AnswerKind:
    return analyse_answer(markdown, rules).kind


def extract_key_points(markdown: str, rules: Rules = SEED_RULES) -> list[str]:
    return analyse_answer(markdown, rules).key_points
