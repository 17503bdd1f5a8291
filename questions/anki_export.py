"""Decks out of the bank: an Anki package (`.apkg`, built with genanki) or a CSV file of cards.

A card's front is the question (with its own figures), its back the reference answer, rendered
from the bank's Markdown to HTML (formulas for Anki's MathJax), followed by the key points and,
for a practice user, the key points they missed. Images on the web stay links; an image given by a
local path that exists is embedded in the package.

Ids are stable, so that importing a newer export into Anki updates the cards instead of adding
them again: the note type's and the deck's ids are derived from their names, each note's GUID from
its question's id. Cards come in the order given (`ExportCard`s; see `bot/export.py` for a user's
weakest first); in Anki that is the order new cards are shown in.

The CSV has a header row and one card a row: `front` (the question, its figures as `![](url)`),
`back` (the answer as the bank's Markdown),
`key points` (one a line), `section`, `topic`, `id`, and with a user `missed` and `standing`; it
imports back (`mockbot bank import`) into the same questions and answers.
"""

from __future__ import annotations

import csv
import hashlib
import html
import re
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import genanki
from markdown_it import MarkdownIt

from .model import Question

__all__ = [
    "ExportCard",
    "ExportDeck",
    "ExportReport",
    "MODEL_NAME",
    "CSV_COLUMNS",
    "stable_id",
    "note_guid",
    "markdown_to_html",
    "write_apkg",
    "write_csv",
]

MODEL_NAME = "mockbot interview question"
CSV_COLUMNS = ("front", "back", "key points", "section", "topic", "id")
USER_COLUMNS = ("missed", "standing")

_FIELDS = ("Question", "Answer", "Key points", "Missed", "Topic", "Id")
_FRONT = '<div class="question">{{Question}}</div>'
_BACK = """{{FrontSide}}
<hr id=answer>
{{#Answer}}<div class="answer">{{Answer}}</div>{{/Answer}}
{{^Answer}}<div class="open">开放题：没有参考答案 · an open question, no reference answer</div>{{/Answer}}
{{#Key points}}<div class="points"><div class="label">要点 · Key points</div>{{Key points}}</div>{{/Key points}}
{{#Missed}}<div class="missed"><div class="label">上次没答到 · Missed last time</div>{{Missed}}</div>{{/Missed}}
<div class="topic">{{Topic}} · {{Id}}</div>"""
_CSS = """.card { font-family: -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;
  font-size: 18px; line-height: 1.5; text-align: left; color: #222; background: #fff; }
.question { font-weight: 600; }
.answer img, .question img { max-width: 100%; }
.points, .missed { margin-top: 1em; padding: .4em .8em; border-radius: 6px; background: #f3f6fb; }
.missed { background: #fdf0ef; }
.label { font-size: 14px; color: #666; }
.detail { color: #777; }
.open, .topic { color: #888; font-size: 14px; margin-top: 1em; }
pre { background: #f6f8fa; padding: .6em; overflow-x: auto; }"""


@dataclass(frozen=True)
class ExportCard:
    """One question as a card, with what a practice user's record adds to it.

    Attributes:
        question: the bank question.
        missed: the key points the user missed (or got partly, or said the wrong way round, marked
            ⚠) in their latest answer; empty without a user.
        standing: "weak", "new" or "strong" for a practice user (see `bot/export.py`); None in bank order.
    """

    question: Question
    missed: tuple[str, ...] = ()
    standing: str | None = None


@dataclass(frozen=True)
class ExportDeck:
    """The cards to export, in order, under one deck name.

    Attributes:
        name: the deck's name in Anki ("mockbot::ml-notes"); its id is derived from it.
        cards: the cards, in the order Anki shows new cards.
        topics: topic id -> the name shown on the card ("深度学习基础").
        image_dirs: folders a relative image path is looked up in (the bank folder, the current one).
        with_user: whether the cards carry a practice user's record (the `missed` and `standing` columns).
    """

    name: str
    cards: list[ExportCard]
    topics: dict[str, str] = field(default_factory=dict)
    image_dirs: tuple[Path, ...] = ()
    with_user: bool = False


@dataclass(frozen=True)
class ExportReport:
    path: Path
    cards: int
    embedded: int = 0  # local images put into the package
    linked: int = 0  # images left as references (web addresses, or names Anki's media folder may hold)


def stable_id(name: str) -> int:
    """A deck's or note type's id from its name: the same name always gives the same id, in the
    range genanki recommends (2^30 to 2^31), so a later export updates what an earlier one made."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return (1 << 30) + int.from_bytes(digest[:8], "big") % (1 << 30)


def note_guid(question_id: str) -> str:
    """A note's GUID from its question's id (Anki matches notes on import by GUID)."""
    return genanki.guid_for("mockbot", question_id)


# ---------------------------------------------------------------- Markdown to Anki's HTML

_markdown = MarkdownIt("commonmark", {"html": True, "breaks": True}).enable("table")
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?![\s$])([^$\n]+?)(?<![\s\\])\$(?!\d)")
_PLACEHOLDER = re.compile(r"MOCKBOTMATH(\d+)X")
_IMG_SRC = re.compile(r"""(<img\b[^>]*?\bsrc=)(["'])(.*?)\2""", re.I | re.S)
_WEB = re.compile(r"^(?:https?:|data:|//)", re.I)


def markdown_to_html(markdown: str) -> str:
    """The bank's Markdown as HTML for an Anki field: line breaks kept, tables, and formulas in
    `$…$`/`$$…$$` passed to Anki's MathJax as `\\(…\\)`/`\\[…\\]` untouched by Markdown.

    >>> markdown_to_html("**BN** 的公式：$\\\\mu_B$")
    '<p><strong>BN</strong> 的公式：\\\\(\\\\mu_B\\\\)</p>'
    """
    formulas: list[str] = []

    def keep(match: re.Match[str], opening: str, closing: str) -> str:
        formulas.append(opening + html.escape(match.group(1).strip(), quote=False) + closing)
        return f"MOCKBOTMATH{len(formulas) - 1}X"

    text = _DISPLAY_MATH.sub(lambda m: keep(m, "\\[", "\\]"), markdown)
    text = _INLINE_MATH.sub(lambda m: keep(m, "\\(", "\\)"), text)
    rendered = _markdown.render(text).strip()
    return _PLACEHOLDER.sub(lambda m: formulas[int(m.group(1))], rendered)


class _Media:
    """The local images a package embeds, each under a name derived from its content (so it never
    replaces another file in the user's Anki media folder, and the same image is stored once)."""

    def __init__(self, folder: Path, image_dirs: Sequence[Path]) -> None:
        self.folder = folder
        self.image_dirs = image_dirs
        self.files: dict[str, Path] = {}  # media name -> copy in `folder`
        self.linked = 0

    def _local(self, source: str) -> Path | None:
        if _WEB.match(source):
            return None
        path = Path(source).expanduser()
        candidates = [path] if path.is_absolute() else [folder / path for folder in self.image_dirs]
        return next((c for c in candidates if c.is_file()), None)

    def name_for(self, source: str) -> str:
        """The src to write: a local image's media name once embedded, else the source as it was."""
        local = self._local(html.unescape(source))
        if local is None:
            self.linked += 1
            return source
        digest = hashlib.sha1(local.read_bytes()).hexdigest()[:12]
        name = f"mockbot-{digest}{local.suffix.lower()}"
        if name not in self.files:
            copy = self.folder / name
            shutil.copyfile(local, copy)
            self.files[name] = copy
        return name

    def rewrite(self, fragment: str) -> str:
        return _IMG_SRC.sub(lambda m: f"{m.group(1)}{m.group(2)}{self.name_for(m.group(3))}{m.group(2)}", fragment)


def _points_html(card: ExportCard) -> str:
    points = card.question.key_points
    if not points:
        return ""
    items = "".join(
        f'<li>{html.escape(p.text)}</li>' if p.core else f'<li class="detail">{html.escape(p.text)}（细节 detail）</li>'
        for p in points
    )
    return f"<ul>{items}</ul>"


def _missed_html(card: ExportCard) -> str:
    return f"<ul>{''.join(f'<li>{html.escape(text)}</li>' for text in card.missed)}</ul>" if card.missed else ""


def _question_html(question: Question, media: _Media) -> str:
    text = html.escape(question.question)
    figures = "".join(f'<div><img src="{html.escape(url)}"></div>' for url in question.images)
    return media.rewrite(text + figures)


def _tags(card: ExportCard) -> list[str]:
    tags = ["mockbot", f"topic::{card.question.topic}"]
    if card.standing:
        tags.append(f"mockbot::{card.standing}")
    if card.missed:
        tags.append("mockbot::missed")
    return tags


def _model() -> genanki.Model:
    return genanki.Model(
        stable_id(MODEL_NAME),
        MODEL_NAME,
        fields=[{"name": name} for name in _FIELDS],
        templates=[{"name": "Question", "qfmt": _FRONT, "afmt": _BACK}],
        css=_CSS,
    )


def write_apkg(deck: ExportDeck, path: Path) -> ExportReport:
    """Write `deck` as an Anki package at `path` (replacing it once complete)."""
    model = _model()
    package_deck = genanki.Deck(stable_id(deck.name), deck.name, description="mockbot: ML/DL interview questions")
    with tempfile.TemporaryDirectory(prefix="mockbot-apkg-") as scratch:
        media = _Media(Path(scratch), deck.image_dirs)
        for position, card in enumerate(deck.cards, start=1):
            question = card.question
            answer = media.rewrite(markdown_to_html(question.answer)) if question.answer.strip() else ""
            fields = [
                _question_html(question, media),
                answer,
                _points_html(card),
                _missed_html(card),
                html.escape(deck.topics.get(question.topic, question.topic)),
                html.escape(question.id),
            ]
            # `due` is the position among new cards: Anki shows them in this order.
            note = genanki.Note(model=model, fields=fields, guid=note_guid(question.id), tags=_tags(card), due=position)
            package_deck.add_note(note)
        package = genanki.Package(package_deck, media_files=[str(p) for p in media.files.values()])
        partial = path.with_name(path.name + ".partial")
        with warnings.catch_warnings():
            # genanki flags any `<…>` it does not know as a tag; the fields here are rendered HTML.
            warnings.filterwarnings("ignore", message="^Field contained the following invalid HTML tags")
            package.write_to_file(str(partial))
        partial.replace(path)
    return ExportReport(path, len(deck.cards), embedded=len(media.files), linked=media.linked)


def write_csv(deck: ExportDeck, path: Path) -> ExportReport:
    """Write `deck` as CSV at `path`: UTF-8 with a byte-order mark (so spreadsheet programs read
    the Chinese right), a header row, one card a row, multi-line cells quoted."""
    columns = CSV_COLUMNS + (USER_COLUMNS if deck.with_user else ())
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for card in deck.cards:
            question = card.question
            figures = "".join(f" ![]({url})" for url in question.images)  # read back as the question's
            row = [
                question.question + figures,
                question.answer,
                "\n".join(p.text for p in question.key_points),
                question.section or "",
                question.topic,
                question.id,
            ]
            if deck.with_user:
                row += ["\n".join(card.missed), card.standing or ""]
            writer.writerow(row)
    partial.replace(path)
    return ExportReport(path, len(deck.cards))
