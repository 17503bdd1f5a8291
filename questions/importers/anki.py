"""Decks of cards: Anki's "Notes in Plain Text" export and CSV files of fronts and backs.

Each card becomes a question (its front) with its reference answer (its back); an empty back makes
an open question. Anki's export is tab-separated with header lines (`#separator:tab`, `#html:true`,
`#deck column:3`, `#columns:…`); a CSV has its fronts and backs in two columns, separated by commas,
semicolons or tabs, fields quoted where needed, with a header row naming the columns or without.
HTML fields are turned into the bank's Markdown: `<br>` and `<div>` into line breaks, `<b>` into
bold, lists into Markdown lists, `<img src>` into image references, entities decoded, MathJax
`\\(…\\)` into `$…$`.

Every line is accounted for: header lines and a header row are skipped with their reason, and so is
a card repeated with the same front and back; a front repeated with another back is kept as a
question of its own and noted, so the preview shows both.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .base import ParsedSeed, RawItem, SeedFormatError
from .card_html import html_to_markdown

__all__ = [
    "FORMAT",
    "DECK_SUFFIXES",
    "AnkiSeed",
    "detect",
    "parse",
    "is_deck_file",
    "html_to_markdown",
]

FORMAT = "anki"

DECK_SUFFIXES = (".csv", ".tsv")  # always read as a deck of cards, whatever their content

# Anki's header keys (`#key:value` lines at the top of a text export or import file).
_HEADER_KEYS = {
    "separator", "html", "tags", "columns", "notetype", "deck", "notetype column", "deck column",
    "tags column", "guid column", "if matches", "match scope",
}  # fmt: skip
_HEADER = re.compile(r"^#([a-z ]+):(.*)$", re.I)
_SEPARATORS = {"tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":"}
_SNIFFED = ("\t", ",", ";")  # separators tried, in this order, for a file that does not name one
_SEPARATOR_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon", " ": "space", "|": "pipe", ":": "colon"}

# Column names of a header row (or of `#columns:`), lower-cased.
_FRONT_NAMES = {"front", "question", "q", "term", "prompt", "正面", "问题", "题目", "问"}
_BACK_NAMES = {"back", "answer", "a", "definition", "response", "背面", "答案", "答"}
_DECK_NAMES = {"deck", "牌组"}
_SECTION_NAMES = _DECK_NAMES | {"section", "分类", "章节"}

# Markers of HTML that Anki writes for a field's structure (a plain field has none of them; an
# `<img>` alone is left as it is: the bank's Markdown keeps such tags).
_HTML_MARKERS = re.compile(
    r"<(?:br|div|p|b|i|u|strong|em|span|font|ul|ol|li|sup|sub|code|pre|table|tr|td|a)\b[^>]*>|</[a-z]+>|"
    r"&(?:nbsp|amp|lt|gt|quot|#\d+|#x[0-9a-f]+);",
    re.I,
)
_MEANINGFUL = re.compile(r"[A-Za-z\u3400-\u9fff]")


@dataclass
class AnkiSeed(ParsedSeed):
    """A parsed deck, with what the preview shows about how it was read."""

    structure: str = ""  # how the file was read, e.g. "Anki text export (tab-separated, HTML fields)"
    notes: list[str] = field(default_factory=list)  # duplicates, columns left out
    cards: int = 0  # card rows read (duplicates and cards without a front included)


def is_deck_file(path: Path) -> bool:
    """A file that is read as a deck by its name alone (a CSV or TSV table)."""
    return path.suffix.lower() in DECK_SUFFIXES


# ---------------------------------------------------------------- the file's shape


@dataclass
class _Header:
    """What the header lines of an Anki text file say."""

    lines: int = 0  # header lines at the top
    separator: str | None = None
    html: bool | None = None
    columns: str | None = None  # `#columns:` as written (split once the separator is known)
    deck: str | None = None  # `#deck:` (every card's deck)
    special: dict[str, int] = field(default_factory=dict)  # "deck"/"tags"/"guid"/"notetype" -> 1-based column


def _read_header(lines: list[str]) -> _Header:
    header = _Header()
    for line in lines:
        match = _HEADER.match(line.strip())
        if match is None or match.group(1).strip().lower() not in _HEADER_KEYS:
            break
        key, value = match.group(1).strip().lower(), match.group(2).strip()
        header.lines += 1
        if key == "separator":
            header.separator = _SEPARATORS.get(value.lower(), value if len(value) == 1 else None)
        elif key == "html":
            header.html = value.lower() == "true" if value.lower() in ("true", "false") else None
        elif key == "columns":
            header.columns = value
        elif key == "deck":
            header.deck = value or None
        elif key.endswith(" column") and value.isdigit():
            header.special[key.removesuffix(" column")] = int(value)
    return header


@dataclass(frozen=True)
class _Record:
    first: int  # 1-based lines of the record (a quoted field may span several)
    last: int
    fields: list[str]
    comment: bool = False  # a line starting with `#`, which Anki's reader skips wherever it stands


def _records(lines: list[str], start: int, separator: str) -> Iterator[_Record]:
    """The CSV records of `lines[start:]`, each with the lines it spans; blank lines are left out."""
    csv.field_size_limit(max(csv.field_size_limit(), 64 * 1024 * 1024))  # an image inlined as data: URL
    body = (line + "\n" for line in lines[start:])  # the reader keeps line breaks inside quoted fields
    reader = csv.reader(body, delimiter=separator, quotechar='"', strict=False)
    done = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise SeedFormatError(f"line {start + reader.line_num}: not a readable table row ({exc})") from None
        first, done = done + 1, reader.line_num
        if not any(f.strip() for f in fields):
            continue
        yield _Record(start + first, start + done, fields, lines[start + first - 1].startswith("#"))


def _consistency(lines: list[str], start: int, separator: str) -> tuple[int, int]:
    """How well `separator` splits the rows: (rows with the most common field count of 2 or more,
    that count); (0, 0) when it splits nothing."""
    try:
        counts = [len(r.fields) for r in _records(lines, start, separator)]
    except SeedFormatError:
        return 0, 0
    counts = [c for c in counts if c >= 2]
    if not counts:
        return 0, 0
    common = max(set(counts), key=lambda c: (counts.count(c), -c))
    return counts.count(common), common


def _sniff(lines: list[str], start: int) -> str | None:
    """The separator that splits the most rows into the same number of fields; on a tie, the one
    less often followed by a space (prose writes ", "; a table's separator stands alone), then tab,
    comma, semicolon (Anki exports tabs)."""
    best: tuple[tuple[int, int], str] | None = None
    text = "\n".join(lines[start:])
    for separator in _SNIFFED:
        rows, _ = _consistency(lines, start, separator)
        score = (rows, -text.count(separator + " "))
        if rows and (best is None or score > best[0]):
            best = (score, separator)
    return best[1] if best else None


def detect(text: str) -> bool:
    """Anki's text export: its header lines, or (an older export, without them) rows that tabs
    split into the same number of fields, a front in each."""
    lines = text.split("\n")
    header = _read_header(lines)
    if header.lines:
        separator = header.separator or _sniff(lines, header.lines) or "\t"
        return any(True for _ in _records_or_none(lines[header.lines :], separator))
    records = list(_records_or_none(lines, "\t"))
    if len(records) < 2:
        return False
    counts = {len(r.fields) for r in records}
    return len(counts) == 1 and min(counts) >= 2 and all(r.fields[0].strip() for r in records)


def _records_or_none(lines: list[str], separator: str) -> Iterator[_Record]:
    try:
        yield from _records(lines, 0, separator)
    except SeedFormatError:
        return


_MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*([^)\s]+)[^)]*\)")


def _plain_field(text: str, *, inline: bool = False) -> tuple[str, list[str]]:
    """A plain-text field as it is (the bank's Markdown, as a CSV export writes it); a front's
    images (`![](src)`) are taken out of its text."""
    if inline:
        images = _MARKDOWN_IMAGE.findall(text)
        return " ".join(_MARKDOWN_IMAGE.sub(" ", text).split()), images
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n"), []


# ---------------------------------------------------------------- parsing


@dataclass(frozen=True)
class _Columns:
    front: int  # 0-based
    back: int | None
    section: int | None
    ignored: list[str]  # the other columns, named for the notes
    decks: bool = True  # the section column holds Anki decks: one deck for all names the file instead


def _columns(header: _Header, names: list[str] | None, width: int) -> _Columns:
    special = {number - 1 for number in header.special.values()}
    section = header.special.get("deck")
    section_index = section - 1 if section else None
    decks = True
    lowered = [name.strip().lower() for name in names] if names else []
    if lowered:
        fronts = [i for i, name in enumerate(lowered) if name in _FRONT_NAMES and i not in special]
        backs = [i for i, name in enumerate(lowered) if name in _BACK_NAMES and i not in special]
        if section_index is None:
            sections = [i for i, name in enumerate(lowered) if name in _SECTION_NAMES and i not in special]
            section_index = sections[0] if sections else None
            decks = section_index is None or lowered[section_index] in _DECK_NAMES
    else:
        fronts = backs = []
    fields = [i for i in range(max(width, len(lowered))) if i not in special and i != section_index]
    front = fronts[0] if fronts else fields[0]
    rest = [i for i in fields if i != front]
    back = backs[0] if backs else (rest[0] if rest else None)
    used = {front, back, section_index} | special
    ignored = []
    for i in range(max(width, len(lowered))):
        if i not in used:
            ignored.append(names[i].strip() if names and i < len(names) and names[i].strip() else f"column {i + 1}")
    return _Columns(front, back, section_index, ignored, decks)


def _is_header_row(fields: list[str]) -> bool:
    lowered = [f.strip().lower() for f in fields]
    return any(f in _FRONT_NAMES for f in lowered) and any(f in _BACK_NAMES for f in lowered)


def _field(fields: list[str], index: int | None) -> str:
    return fields[index] if index is not None and index < len(fields) else ""


def _html_file(header: _Header, records: list[_Record], columns: _Columns) -> bool:
    """Whether the fields are HTML: as the header says, else as Anki's own guess (any field with
    HTML in it), except that a field with a real line break is plain text (Anki writes `<br>`)."""
    if header.html is not None:
        return header.html
    texts = [_field(r.fields, i) for r in records for i in (columns.front, columns.back)]
    if any("\n" in text for text in texts):
        return False
    return any(_HTML_MARKERS.search(text) for text in texts)


def _describe(header: _Header, separator: str, html: bool, named_row: bool) -> str:
    what = "Anki text export" if header.lines else "table of cards"
    parts = [f"{_SEPARATOR_NAMES.get(separator, repr(separator))}-separated"]
    parts.append("HTML fields" if html else "plain-text fields")
    if named_row:
        parts.append("a header row")
    return f"{what} ({', '.join(parts)})"


def parse(text: str) -> AnkiSeed:
    """Read a deck: Anki's text export, or a CSV/TSV of fronts and backs.

    Raises:
        SeedFormatError: no cards in it, only one column, or fronts that are not text (numbers).
    """
    lines = text.split("\n")
    header = _read_header(lines)
    start = header.lines
    separator = header.separator or _sniff(lines, start)
    if separator is None:
        raise SeedFormatError("a table with one column: a deck needs a front and a back on each row")
    seed = AnkiSeed(FORMAT)
    for number in range(1, start + 1):
        seed.skip(number, "Anki file header")
    records = []
    for record in _records(lines, start, separator):
        if record.comment:
            for number in range(record.first, record.last + 1):
                seed.skip(number, "comment line (#…)")
        else:
            records.append(record)
    if not records:
        raise SeedFormatError("no cards in it")
    names: list[str] | None = None
    if header.columns is not None:
        names = next(csv.reader([header.columns], delimiter=separator), [])
    named_row = names is None and _is_header_row(records[0].fields)
    if named_row:
        names = records[0].fields
        for number in range(records[0].first, records[0].last + 1):
            seed.skip(number, "header row (column names)")
        records = records[1:]
        if not records:
            raise SeedFormatError("no cards in it, only a header row")
    width = max((len(r.fields) for r in records), default=len(names or []))
    columns = _columns(header, names, width)
    if columns.back is None:
        raise SeedFormatError("a table with one column: a deck needs a front and a back on each row")
    fronts = [_field(r.fields, columns.front) for r in records]
    if records and sum(1 for f in fronts if _MEANINGFUL.search(f)) * 2 < len(records):
        raise SeedFormatError("a table of numbers, not cards: the fronts have no words")
    html = _html_file(header, records, columns)
    seed.structure = _describe(header, separator, html, named_row or header.columns is not None)
    if columns.ignored:
        seed.notes.append(
            f"not imported: {', '.join(columns.ignored)} (the front, the back and the deck or section are read; "
            "key points are extracted from the back again)"
        )
    _read_cards(seed, records, columns, html, header)
    return seed


def _read_cards(seed: AnkiSeed, records: list[_Record], columns: _Columns, html: bool, header: _Header) -> None:
    convert = html_to_markdown if html else _plain_field
    decks = {_field(r.fields, columns.section).strip() for r in records} - {""}
    if header.deck:
        decks.add(header.deck)
    # One deck names the file; several are its sections (a subdeck is a heading). A column of
    # sections (a CSV export's) is a section whatever it holds.
    by_section = not columns.decks or len(decks) > 1
    seed.title = next(iter(decks)) if len(decks) == 1 and columns.decks else None
    seen: dict[str, tuple[int, str]] = {}  # front key -> (line, back) of its first card
    for record in records:
        seed.cards += 1
        front, images = convert(_field(record.fields, columns.front), inline=True)
        back, _ = convert(_field(record.fields, columns.back), inline=False)
        span = range(record.first, record.last + 1)
        if not front:
            reason = "card without a front" if not images else "card whose front is only an image"
            for number in span:
                seed.skip(number, reason)
            seed.notes.append(f"line {record.first}: {reason}; skipped")
            continue
        key = _front_key(front)
        if key in seen:
            first_line, first_back = seen[key]
            if first_back == back:
                for number in span:
                    seed.skip(number, "duplicate card (the same front and back as an earlier one)")
                seed.notes.append(f"line {record.first}: the same card as line {first_line} ({_clip(front)}); skipped")
                continue
            seed.notes.append(
                f"line {record.first}: the front of line {first_line} again ({_clip(front)}) with another back; "
                "kept as a question of its own"
            )
        else:
            seen[key] = (record.first, back)
        deck = _field(record.fields, columns.section).strip() if by_section else ""
        seed.items.append(RawItem(front, back, record.first, None, deck or None, tuple(images)))
        seed.claim(record.first, record.last)


_NOT_WORD = re.compile(r"[\W_]+")


def _front_key(front: str) -> str:
    """A front without case, width, spacing or punctuation: what makes two cards the same question."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", front).lower())


def _clip(text: str, width: int = 30) -> str:
    text = " ".join(text.split())
    return f"「{text if len(text) <= width else text[: width - 1] + '…'}」"
