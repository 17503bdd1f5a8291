"""Line breaking for Chinese mixed with English, as the terminal shows it.

Rich breaks lines at spaces only: a Chinese sentence is one long "word" to it, so it either leaves
a short line before it (「平均 50」 / 「分」) or cuts it at the width, in the middle of an English
word or right before a closing bracket (「（如56层不如20层」 / 「）」). Here a line may break
between two Chinese characters, between a Chinese character and a Latin word, and at a space; never
inside a run of Latin letters and digits (`RF_{l-1}`, `content/query`), between a number and the
Chinese word after it (「50 分」), before closing punctuation (`）」，。、`), after opening
punctuation (`（「`) or at a no-break space. In Chinese text, an English phrase (「Residual block」)
is broken at its spaces only when it does not fit on a line of its own. A run longer than a whole
line is cut at the width, as a last resort. Widths are terminal cells (a Chinese character takes
two), as Rich counts them; lines keep no trailing spaces.

`WrappedText` is a Rich `Text` that wraps this way, with an optional hanging indent, printed
directly or inside a panel or group.
"""

from __future__ import annotations

import unicodedata

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.containers import Lines
from rich.measure import Measurement
from rich.text import Text

__all__ = ["break_offsets", "wrap", "WrappedText"]

_CLOSING = frozenset("）」』】〕〉》〗〙〛］｝’”，。、；：！？…‥・～—%‰)]}>,.;:!?")
_OPENING = frozenset("（「『【〔〈《〖〘〚［｛‘“([{<")
_NO_BREAK_SPACE = "\u00a0"
_NONE, _WEAK, _STRONG = 0, 1, 2  # how freely a line may break before a character


def _wide(char: str) -> bool:
    """A character of Chinese text (two cells wide: ideographs, full-width punctuation)."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def _break_before(line: str, index: int, mixed: bool) -> int:
    """How freely `line` may break before `line[index]`: `_STRONG`, `_WEAK` (only when the words
    around it do not fit on one line: a space inside an English phrase in Chinese text, such as
    「Residual block」) or `_NONE`. `mixed`: the line holds Chinese text."""
    if index == 0:
        return _NONE
    before, char = line[index - 1], line[index]
    if char == " " or char in _CLOSING or _NO_BREAK_SPACE in (before, char):
        return _NONE
    if before == " ":
        word_end = index - 1
        while word_end > 0 and line[word_end - 1] == " ":
            word_end -= 1
        if word_end == 0:  # the line's own indentation
            return _NONE
        before = line[word_end - 1]
        if before in _OPENING or _unit_after_number(before, char):
            return _NONE
        return _WEAK if mixed and not _wide(before) and not _wide(char) else _STRONG
    if before in _OPENING or _unit_after_number(before, char) or not (_wide(before) or _wide(char)):
        return _NONE
    return _STRONG


def _unit_after_number(before: str, char: str) -> bool:
    """A number and the Chinese word after it, which stay on one line: 「50 分」, 「3 次」, 「56层」."""
    return before.isascii() and before.isdigit() and _wide(char) and unicodedata.category(char).startswith("L")


def _split(line: str, start: int, end: int, kinds: list[int], at_least: int) -> list[tuple[int, str]]:
    """`line[start:end]` cut before every character whose break kind is at least `at_least`."""
    cuts = [start, *(i for i in range(start + 1, end) if kinds[i] >= at_least), end]
    return [(a, line[a:b]) for a, b in zip(cuts, cuts[1:])]


class _Filler:
    """Fills lines greedily with pieces of text, recording where each new line starts."""

    def __init__(self, width: int, hang: int) -> None:
        self.width, self.hang = width, hang
        self.room, self.used = width, 0
        self.offsets: list[int] = []

    def _fits(self, text: str) -> bool:
        return self.used + cell_len(text.rstrip(" ")) <= self.room

    def _new_line(self, at: int) -> None:
        self.offsets.append(at)
        self.room, self.used = self.width - self.hang, 0

    def put(self, start: int, text: str, finer: list[tuple[int, str]] | None = None) -> None:
        """Place `text` (at `start` in the line); too long for a whole line, place its `finer`
        pieces instead, or cut it at the width as a last resort."""
        if finer is not None and len(finer) > 1 and cell_len(text.rstrip(" ")) > self.width - self.hang:
            for piece_start, piece in finer:  # it would not fit on a line of its own either
                self.put(piece_start, piece)
            return
        if self.used and not self._fits(text):
            self._new_line(start)
        if self._fits(text):
            self.used += cell_len(text)
        else:
            for index, char in enumerate(text):
                if self.used and char != " " and self.used + cell_len(char) > self.room:
                    self._new_line(start + index)
                self.used += cell_len(char)


def break_offsets(line: str, width: int, *, hang: int = 0) -> list[int]:
    """Where to break one line (no newline in it) so that every part fits in `width` cells.

    Args:
        line: the text of one line.
        width: the cells of a line; the lines after the first have `hang` fewer.
        hang: the indent of the lines after the first (added by the caller).

    Returns:
        The indexes of `line` each new line starts at, in order.

    >>> break_offsets("平均 50 分，比上次高", 8)
    [3, 8]
    """
    width = max(1, width)
    filler = _Filler(width, min(max(0, hang), width - 1))
    mixed = any(_wide(char) for char in line)
    kinds = [_break_before(line, index, mixed) for index in range(len(line))]
    for start, unit in _split(line, 0, len(line), kinds, _STRONG):
        filler.put(start, unit, _split(line, start, start + len(unit), kinds, _WEAK))
    return filler.offsets


def wrap(text: str, width: int, *, hang: int = 0) -> list[str]:
    """`text` as lines of at most `width` cells, each line of it broken as `break_offsets` says;
    the lines a line is broken into after the first are indented by `hang` spaces.

    >>> wrap("下一道复习：2026-12-03 06:34（UTC）", 20)
    ['下一道复习：', '2026-12-03 06:34', '（UTC）']
    >>> wrap("ResNet中Residual block的作用", 20)
    ['ResNet中', 'Residual block的作用']
    >>> wrap("  · the kept outputs are divided by p", 20, hang=4)
    ['  · the kept outputs', '    are divided by p']
    """
    lines: list[str] = []
    for line in text.split("\n"):
        cuts = [0, *break_offsets(line, width, hang=hang), len(line)]
        for number, (start, end) in enumerate(zip(cuts, cuts[1:])):
            lines.append(" " * hang * (number > 0) + line[start:end].rstrip(" "))
    return lines


def _words(line: str) -> list[str]:
    """The pieces of `line` no break can fall inside, weak breaks included (for the narrowest width)."""
    mixed = any(_wide(char) for char in line)
    kinds = [_break_before(line, index, mixed) for index in range(len(line))]
    return [piece for _start, piece in _split(line, 0, len(line), kinds, _WEAK)]


class WrappedText(Text):
    """A Rich `Text` broken into lines as `break_offsets` says, with a hanging indent of `hang`
    spaces for the lines a long line is broken into (a bullet's text goes on under itself)."""

    def __init__(self, text: str = "", style: str = "", *, hang: int = 0, **options: object) -> None:
        super().__init__(text, style, **options)  # type: ignore[arg-type]
        self.hang = hang

    def wrap(
        self, console: Console, width: int, *, justify=None, overflow=None, tab_size: int = 8, no_wrap=None  # noqa: ANN001 - Rich's
    ) -> Lines:
        if no_wrap or self.no_wrap:
            return super().wrap(console, width, justify=justify, overflow=overflow, tab_size=tab_size, no_wrap=True)
        lines = Lines()
        for line in self.split(allow_blank=True):
            if "\t" in line:
                line.expand_tabs(tab_size)
            for number, part in enumerate(line.divide(break_offsets(line.plain, width, hang=self.hang))):
                part.rstrip()
                if number and self.hang:
                    part.pad_left(self.hang)
                lines.append(part)
        justify = justify or self.justify
        if justify in ("center", "right", "full"):
            lines.justify(console, width, justify=justify, overflow=overflow or self.overflow or "fold")
        for line in lines:
            line.truncate(width, overflow=overflow or self.overflow or "fold")
        return lines

    def __rich__(self) -> _Wrapped:
        # `Console.print` joins the `Text`s it is given into one plain `Text`, which wraps at spaces
        # only; Rich casts through `__rich__` first, so it gets a renderable that is no `Text`.
        return _Wrapped(self)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        lines = self.plain.split("\n")
        widest = max(cell_len(line) for line in lines)
        units = [cell_len(unit.rstrip(" ")) for line in lines for unit in _words(line)]
        return Measurement(max(units, default=widest), widest)


class _Wrapped:
    """A `WrappedText` as a renderable that is not a `Text`, so that nothing merges it into one."""

    def __init__(self, text: WrappedText) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        return self.text.__rich_console__(console, options)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return self.text.__rich_measure__(console, options)
