"""A question's answer as Markdown, from the lines under it.

The answer keeps what the notes show — paragraphs, sub-bullets, code, images, links, tables,
quotes — without the wrapping that only hides or labels it: `<details>`/`<summary>` tags, an
"Answer:"/答： prefix, one level of quoting when the whole answer is a quote, the common
indentation. A placeholder ("待补充", "_[To be filled]_") is no answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..base import dedent_block
from .cues import is_answer_label, is_placeholder, strip_answer_prefix
from .lines import Line, LineKind

__all__ = ["Answer", "build_answer"]

_WRAPPER_TAG = re.compile(r"</?details\b[^>]*>|<summary\b[^>]*>.*?</summary>|^\s*</summary\s*>\s*$", re.I)
_SUMMARY_OPEN = re.compile(r"<summary\b[^>]*>", re.I)
_SUMMARY_CLOSE = re.compile(r"</summary\s*>", re.I)
_QUOTE = re.compile(r"^( {0,3})>[ \t]?")
_CODE_START = re.compile(r"^(def |class |import |from \S+ import |async def )")
_FENCE = re.compile(r"^\s*(```|~~~)")
_IMAGE_ONLY = re.compile(r"^\s*(?:!\[[^\]]*\]\([^)]*\)|<img\b[^>]*>)\s*$", re.I)


@dataclass
class Answer:
    markdown: str
    used: list[int] = field(default_factory=list)  # line indices that make the answer (or wrap it)
    placeholders: list[int] = field(default_factory=list)  # line indices that only say "no answer yet"


def _unwrap(lines: list[Line], indices: list[int]) -> list[tuple[int, str]]:
    """The region's lines without `<details>`/`<summary>` wrapping; lines that were only tags go."""
    out: list[tuple[int, str]] = []
    in_summary = False
    for index in indices:
        raw = lines[index].raw.expandtabs(4).rstrip()
        if lines[index].container == "details" or _WRAPPER_TAG.search(raw) or in_summary:
            if in_summary:
                if _SUMMARY_CLOSE.search(raw):
                    in_summary = False
                    raw = _SUMMARY_CLOSE.split(raw, 1)[1]
                else:
                    continue
            raw = _WRAPPER_TAG.sub("", raw)
            if _SUMMARY_OPEN.search(raw):  # a summary spread over several lines
                in_summary = True
                raw = _SUMMARY_OPEN.split(raw, 1)[0]
            if not raw.strip() and lines[index].raw.strip():
                continue
        out.append((index, raw))
    return out


def build_answer(lines: list[Line], indices: list[int], inline: str = "") -> Answer:
    """The answer made of the lines at `indices` (skipped lines already left out), plus any answer
    written on the question's own line."""
    answer = Answer("")
    body = _unwrap(lines, indices)
    answer.used = [index for index in indices if not lines[index].blank]
    if inline:
        body.insert(0, (-1, inline))
    # "**Answer:** text" / "答：text" on the first line: keep the text, drop the prefix; a line
    # that is only the label ("### 答案") goes.
    for position, (index, raw) in enumerate(body):
        if raw.strip() and not _IMAGE_ONLY.match(raw):  # a figure may come before "**Answer:** …"
            if is_answer_label(raw):
                body[position] = (index, "")
                break
            stripped = strip_answer_prefix(raw.strip())
            if stripped != raw.strip():
                indent = raw[: len(raw) - len(raw.lstrip())]
                body[position] = (index, indent + stripped if stripped else "")
            break
    content = [(index, raw) for index, raw in body if raw.strip()]
    if content and all(is_placeholder(raw) for _, raw in content):
        answer.placeholders = [index for index, _ in content if index >= 0]
        answer.used = [index for index in answer.used if index not in answer.placeholders]
        return answer
    texts = [raw for _, raw in body]
    quoted = [index for index, raw in content if index >= 0 and lines[index].kind is LineKind.QUOTE]
    if content and len(quoted) == len([i for i, _ in content if i >= 0]) and not inline:
        texts = [_QUOTE.sub(r"\1", raw, count=1) for raw in texts]
    texts = dedent_block(texts)
    in_code = [index >= 0 and lines[index].kind is LineKind.CODE for index, _ in body]
    collapsed: list[str] = []
    for text, code in zip(texts, in_code):
        if not text.strip() and not code and (not collapsed or not collapsed[-1].strip()):
            continue  # one blank line between blocks is enough (code keeps its own)
        collapsed.append(text)
    answer.markdown = "\n".join(_fence_bare_code(collapsed)).strip("\n")
    return answer


def _fence_bare_code(texts: list[str]) -> list[str]:
    """Code pasted without a fence (plain-text notes): `def f(x):` and the indented lines under it
    become a fenced block, so it stays code rather than a run-on paragraph."""
    if any(_FENCE.match(text) for text in texts):
        return texts
    out: list[str] = []
    index = 0
    while index < len(texts):
        text = texts[index]
        if not _CODE_START.match(text.lstrip()):
            out.append(text)
            index += 1
            continue
        base = len(text) - len(text.lstrip())
        end = index + 1
        while end < len(texts) and (
            (texts[end].strip() and len(texts[end]) - len(texts[end].lstrip()) > base)
            or _CODE_START.match(texts[end][base:])
        ):
            end += 1
        if end - index < 2:
            out.append(text)
            index += 1
            continue
        block = [line[base:] for line in texts[index:end]]
        out += [" " * base + "```", *(" " * base + line for line in block), " " * base + "```"]
        index = end
    return out
