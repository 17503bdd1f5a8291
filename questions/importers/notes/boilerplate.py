"""Lines of a notes file that are not questions or answers, found before the structure is read:
front matter, comments, hexo tags, tables of contents, rules, badges, question labels, the title.

Sections with a boilerplate heading (参考资料, References, 前言, License…) are only listed here:
whether one is skipped depends on the level the questions stand at (a `#### References` inside an
answer belongs to that answer), which the structure decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from .cues import STRONG, boilerplate_section, is_label, is_toc_entry, metadata_hint, question_likeness
from .lines import BOLD_LINE, Line, LineKind

__all__ = ["Boilerplate", "BoilerplateSection", "METADATA", "find_boilerplate", "section_end"]

METADATA = "question metadata (topic, level, tags)"


@dataclass(frozen=True)
class BoilerplateSection:
    heading: int  # index into the lines
    end: int  # index of the first line after the section
    reason: str


@dataclass
class Boilerplate:
    skipped: dict[int, str] = field(default_factory=dict)  # line index -> why it is not content
    sections: list[BoilerplateSection] = field(default_factory=list)
    title: str | None = None
    hints: dict[int, str] = field(default_factory=dict)  # question metadata line -> its topic hint

    def skip(self, index: int, reason: str) -> None:
        self.skipped.setdefault(index, reason)


_FRONT_MATTER = {"---": "front matter", "+++": "front matter"}
_HEXO_TAG = re.compile(r"^\s*\{%\s*(\w+).*%\}\s*$")
_TOC_MARKER = re.compile(r"^\s*(\[toc\]|\[\[toc\]\]|\{:toc\}|\*\s*toc|@\[toc\](\(.*\))?|\$\{toc\})\s*$", re.I)
_TOC_COMMENT = re.compile(r"<!--\s*(/?\s*toc|omit in toc)\b.*-->", re.I)
_META = re.compile(r"^\s*(<meta\b[^>]*>|<a\s+(name|id)=[^>]*>\s*</a>|<link\b[^>]*>|<br\s*/?>)\s*$", re.I)
_BADGE = re.compile(r"^\s*(\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)\s*|!\[[^\]]*\]\([^)]*(shields\.io|badge)[^)]*\)\s*)+$", re.I)
# A linked image is a badge only when it says so; a formula rendered as a linked image is content.
_BADGE_HOST = re.compile(r"shields\.io|badge|travis-ci|codecov|circleci|/workflows/|star-history|visitor|hits\.", re.I)
_H1_TAG = re.compile(r"<h1\b", re.I)
_MORE = re.compile(r"<!--\s*more\s*-->", re.I)
_BACK_TO_TOP = re.compile(
    r"^\s*(\*\*)?\s*(\[[^\]]*(top|顶部|目录|back|返回|↑|⬆)[^\]]*\]\(#[^)]*\)|<a\s+href=\"#[^\"]*\"[^>]*>[^<]*</a>)\s*(\*\*)?\s*$", re.I
)
_END_MARK = re.compile(r"^\s*[（(【\[]?\s*(完|全文完|本文完|end|the end|未完待续|to be continued)\s*[)）】\]]?\s*[。.]?\s*$", re.I)


def section_end(lines: list[Line], heading: int) -> int:
    """The index after the section opened by the heading at `heading` (next heading as high or higher)."""
    level = lines[heading].level
    for index in range(heading + 1, len(lines)):
        line = lines[index]
        if line.kind is LineKind.HEADING and line.container is None and line.level <= level:
            return index
    return len(lines)


def _front_matter(lines: list[Line], found: Boilerplate) -> int:
    if not lines or lines[0].raw.strip() not in _FRONT_MATTER:
        return 0
    fence = lines[0].raw.strip()
    for end in range(1, len(lines)):
        if lines[end].raw.strip() == fence:
            body = "\n".join(line.raw for line in lines[1:end])
            try:
                meta = yaml.safe_load(body) if fence == "---" else None
            except yaml.YAMLError:
                meta = None
            title = meta.get("title") if isinstance(meta, dict) else None
            if title is None:
                match = re.search(r"^title\s*[:=]\s*[\"']?(.*?)[\"']?\s*$", body, re.M)
                title = match.group(1) if match else None
            if title:
                found.title = str(title)
            for index in range(end + 1):
                found.skip(index, "front matter")
            return end + 1
    return 0


def _hexo_and_comments(lines: list[Line], found: Boilerplate) -> None:
    inside_tag: str | None = None
    inside_toc = False
    for index, line in enumerate(lines):
        if index in found.skipped:
            continue
        if line.kind is LineKind.COMMENT:
            if _MORE.search(line.raw):
                found.skip(index, "excerpt marker <!--more-->")
            elif _TOC_COMMENT.search(line.raw):
                inside_toc = not inside_toc and "/" not in line.raw and "omit" not in line.raw.lower()
                found.skip(index, "table of contents")
            else:
                found.skip(index, "HTML comment")
            continue
        if inside_toc and line.container is None:
            found.skip(index, "table of contents")
            continue
        tag = _HEXO_TAG.match(line.raw) if line.container is None else None
        if tag:
            name = tag.group(1)
            found.skip(index, f"hexo tag {{% {name} %}}")
            if name in ("note", "alert", "blockquote", "cq", "tabs", "folding"):
                inside_tag = name
            elif name.startswith("end"):
                inside_tag = None
        elif inside_tag and not line.blank:
            found.skip(index, f"text of the {{% {inside_tag} %}} box")


def _small_boilerplate(lines: list[Line], found: Boilerplate) -> None:
    for index, line in enumerate(lines):
        if index in found.skipped or line.blank:
            continue
        if line.kind is LineKind.RULE and line.container in (None, "details"):
            found.skip(index, "title underline" if line.raw.strip().startswith("=") else "horizontal rule")
        elif line.container is None and _TOC_MARKER.match(line.raw):
            found.skip(index, "table of contents")
        elif line.container in (None, "details") and _META.match(line.raw):
            found.skip(index, "page boilerplate")
        elif line.container is None and _BADGE.match(line.raw) and _BADGE_HOST.search(line.raw):
            found.skip(index, "badges")
        elif line.container is None and _BACK_TO_TOP.match(line.raw):
            found.skip(index, "back-to-top link")
        elif line.container is None and line.kind is LineKind.TEXT and _END_MARK.match(line.raw):
            found.skip(index, "end mark")
        elif line.container is None and line.kind in (LineKind.TEXT, LineKind.ITEM, LineKind.QUOTE) and (
            hint := metadata_hint(line.text)
        ) is not None:
            found.skip(index, METADATA)
            if hint:
                found.hints[index] = hint
        elif line.kind is LineKind.HEADING and line.container is None and not line.pseudo and is_label(line.text):
            found.skip(index, "question label (the question follows it)")
        elif line.kind is LineKind.HEADING and line.container is None and not line.text:
            found.skip(index, "empty heading")


def _toc_lists(lines: list[Line], found: Boilerplate) -> None:
    """Runs of list entries (or lines) that only link to places in the document: a table of contents."""
    run: list[int] = []

    def close() -> None:
        if len(run) >= 2:
            for index in run:
                found.skip(index, "table of contents")
        run.clear()

    for index, line in enumerate(lines):
        if line.blank:
            continue
        entry = line.kind in (LineKind.ITEM, LineKind.TEXT) and line.container is None and is_toc_entry(line.text)
        if entry and index not in found.skipped:
            run.append(index)
        elif index not in found.skipped:
            close()
    close()


def _sections(lines: list[Line], found: Boilerplate) -> None:
    for index, line in enumerate(lines):
        if line.kind is not LineKind.HEADING or line.container is not None or index in found.skipped:
            continue
        reason = boilerplate_section(line.text)
        if reason is None:
            continue
        end = section_end(lines, index)
        if reason == "table of contents":
            for k in range(index, end):
                if not lines[k].blank:
                    found.skip(k, "table of contents")
        else:
            found.sections.append(BoilerplateSection(index, end, reason))


def _title(lines: list[Line], found: Boilerplate) -> None:
    content = [i for i, line in enumerate(lines) if not line.blank and i not in found.skipped]
    if not content:
        return
    first = lines[content[0]]
    if first.container == "html":
        # A centred HTML header (`<div align="center"><h1>…</h1></div>`) before anything else.
        block = [i for i in content if lines[i].container == "html" and i - content[0] < 12]
        if any(_H1_TAG.search(lines[i].raw) for i in block):
            end = content[0]
            while end + 1 < len(lines) and lines[end + 1].container == "html":
                end += 1
            for i in range(content[0], end + 1):
                found.skip(i, "page header")
            text = re.sub(r"<[^>]+>", " ", " ".join(lines[i].raw for i in range(content[0], end + 1)))
            found.title = found.title or " ".join(text.split()) or None
        return
    if first.kind is LineKind.HEADING and not first.pseudo:
        rivals = [
            i
            for i in content[1:]
            if lines[i].kind is LineKind.HEADING and lines[i].container is None and lines[i].level <= first.level
        ]
        following = lines[content[1]] if len(content) > 1 else None
        # "# 企业A" right above "# 一面": a heading with nothing of its own names the document.
        bare = following is not None and following.kind is LineKind.HEADING and following.level <= first.level
        if (not rivals or bare) and question_likeness(first.text) < STRONG:  # a lone "## 什么是过拟合？" is a question
            found.skip(content[0], "document title")
            found.title = found.title or first.text
        return
    following = lines[content[0] + 1] if content[0] + 1 < len(lines) else None
    text = BOLD_LINE.match(first.text).group("text") if BOLD_LINE.match(first.text) else first.text
    if (
        found.title is None
        and first.kind is LineKind.TEXT
        and first.container is None
        and len(text) <= 40
        and not re.search(r"[，,。；;]", text)
        and question_likeness(text) == 0
        and (following is None or following.blank or following.kind is LineKind.RULE)
    ):
        found.skip(content[0], "document title")
        found.title = found.title or text.strip()


def find_boilerplate(lines: list[Line]) -> Boilerplate:
    found = Boilerplate()
    _front_matter(lines, found)
    _hexo_and_comments(lines, found)
    _small_boilerplate(lines, found)
    _toc_lists(lines, found)
    _sections(lines, found)
    _title(lines, found)
    return found
