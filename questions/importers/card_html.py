"""A card's HTML fields, as Anki exports them, turned into the bank's Markdown: `<br>` and `<div>`
into line breaks, `<b>` into bold, lists into Markdown lists, `<img src>` into image references,
entities decoded, MathJax `\\(…\\)` into `$…$`."""

from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_markdown"]

_BLOCKS = {"div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "tr", "ul", "ol", "li", "pre", "hr"}
_DROPPED = {"style", "script", "head", "title"}
_EMPHASIS = {"b": "**", "strong": "**", "h1": "**", "h2": "**", "h3": "**", "h4": "**", "h5": "**", "h6": "**",
             "i": "*", "em": "*"}  # fmt: skip
_SPACES = re.compile(r"[ \t\r\n\f\u00a0]+")


class _Converter(HTMLParser):
    """One field's HTML as the bank's Markdown (see `html_to_markdown`)."""

    def __init__(self, *, inline: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.inline = inline  # a front: no emphasis markers, no list markers
        self.text = ""
        self.images: list[str] = []
        self.lists: list[list] = []  # [tag, items so far] per open list
        self.marks: list[tuple[str, int, str]] = []  # (tag, where it opened, its marker or href)
        self.pre = 0
        self.dropped = 0
        self.cells = 0  # cells so far in the current table row

    def _newline(self) -> None:
        if self.text and not self.text.endswith("\n"):
            self.text += "\n"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in _DROPPED:
            self.dropped += 1
        elif tag == "br":
            self.text += "\n"
        elif tag == "img":
            source = values.get("src", "").strip()
            if source:
                self.images.append(source)
                if not self.inline:
                    self.text += f"![{values.get('alt', '').strip()}]({source})"
        elif tag in ("ul", "ol"):
            self._newline()
            self.lists.append([tag, 0])
        elif tag == "li":
            self._newline()
            if self.lists and not self.inline:
                current = self.lists[-1]
                current[1] += 1
                marker = f"{current[1]}. " if current[0] == "ol" else "- "
                self.text += "  " * (len(self.lists) - 1) + marker
        elif tag == "pre":
            self._newline()
            self.pre += 1
            self.text += "```\n"
        elif tag == "code" and not self.pre:
            self.marks.append((tag, len(self.text), "`"))
        elif tag == "a":
            self.marks.append((tag, len(self.text), values.get("href", "").strip()))
        elif tag in ("td", "th"):
            if self.cells:
                self.text += " | "
            self.cells += 1
        elif tag == "sup":
            self.text += "^"
        elif tag == "sub":
            self.text += "_"
        elif tag in _BLOCKS:
            self._newline()
            if tag == "tr":
                self.cells = 0
        if tag in _EMPHASIS:
            self.marks.append((tag, len(self.text), "" if self.inline else _EMPHASIS[tag]))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropped = max(0, self.dropped - 1)
            return
        if tag in _EMPHASIS or tag in ("a", "code"):
            self._close_mark(tag)
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if tag == "pre" and self.pre:
            self.pre -= 1
            self._newline()
            self.text += "```"
        if tag in _BLOCKS:
            self._newline()

    def _close_mark(self, tag: str) -> None:
        for position in range(len(self.marks) - 1, -1, -1):
            if self.marks[position][0] == tag:
                _, start, marker = self.marks.pop(position)
                break
        else:
            return
        inside = self.text[start:]
        if tag == "a":
            label = inside.strip()
            if marker and label and label != marker and not self.inline:
                self.text = self.text[:start] + f"[{label}]({marker})"
            elif marker and not label:
                self.text = self.text[:start] + marker
            return
        if not marker or not inside.strip():
            return
        # Markers hug the words (`**a** b`, not `**a **b`), one pair a line (a pair may not span lines).
        wrapped = []
        for line in inside.split("\n"):
            core = line.strip()
            if not core or (core.startswith(marker) and core.endswith(marker) and len(core) > 2 * len(marker)):
                wrapped.append(line)  # blank, or already wrapped by a nested tag of the same kind
                continue
            lead = line[: len(line) - len(line.lstrip())]
            trail = line[len(line.rstrip()) :]
            wrapped.append(f"{lead}{marker}{core}{marker}{trail}")
        self.text = self.text[:start] + "\n".join(wrapped)

    def handle_data(self, data: str) -> None:
        if self.dropped:
            return
        if self.pre:
            self.text += data.replace("\u00a0", " ")  # Anki's editor keeps indentation as &nbsp;
            return
        data = _SPACES.sub(" ", data)
        if not self.text or self.text.endswith("\n") or self.text.endswith(" "):
            data = data.lstrip(" ")
        self.text += data


_INLINE_MATH = re.compile(r"\\\((.+?)\\\)", re.S)
_DISPLAY_MATH = re.compile(r"\\\[(.+?)\\\]", re.S)
_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    text = _DISPLAY_MATH.sub(lambda m: f"$${m.group(1).strip()}$$", text)
    text = _INLINE_MATH.sub(lambda m: f"${m.group(1).strip()}$", text)
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n").strip()


def html_to_markdown(html: str, *, inline: bool = False) -> tuple[str, list[str]]:
    """A field's HTML as the bank's Markdown, and the image sources in it.

    `<br>` and block tags (`<div>`, `<p>`, `<li>`…) end lines, `<b>`/`<strong>` become `**bold**`,
    `<i>`/`<em>` `*italic*`, lists Markdown lists, `<pre>` a fenced block, `<a href>` a link,
    `<img src>` an image reference `![alt](src)`; entities are decoded and runs of spaces collapsed.
    With `inline` (a front) the text keeps no emphasis, list markers or images: those are
    returned apart.

    >>> html_to_markdown("BN<b>归一化</b>每个&nbsp;batch<br><img src=\\"bn.png\\">")
    ('BN**归一化**每个 batch\\n![](bn.png)', ['bn.png'])
    """
    converter = _Converter(inline=inline)
    converter.feed(html)
    converter.close()
    return _tidy(converter.text), converter.images
