"""The words of the deck handlers: the engine's deck outcomes (`DeckNotice`), a file's preview,
/decks. The wordings are the catalog's `decks.` messages (`grading/locale`), looked up with `_()`."""

from __future__ import annotations

import re
from collections.abc import Callable

from grading.i18n import LANGUAGES, N_, _, gettext
from questions.importers.base import INTRODUCTION
from questions.importers.hexo import STRUCTURE as POST_STRUCTURE
from questions.importers.notes import PLACEHOLDER
from questions.importers.notes.boilerplate import METADATA
from questions.importers.notes.patterns import Pattern, described_pattern

from ...engine.decks import DeckNotice, DeckOverview, DeckPreview
from ...storage import ImportStatus

__all__ = [
    "notice_text", "import_text", "preview_text", "overview_text", "off_words", "megabytes", "reason_text",
    "pattern_text",
]  # fmt: skip

_NOTICES = {  # a DeckNotice's code -> its message
    "wrong_type": N_("decks.wrong_type"),
    "too_large": N_("decks.too_large"),
    "download_failed": N_("decks.download_failed"),
    "empty": N_("decks.empty"),
    "binary": N_("decks.binary"),
    "not_text": N_("decks.not_text"),
    "not_notes": N_("decks.not_notes"),
    "no_questions": N_("decks.no_questions"),
    "too_many_questions": N_("decks.too_many_questions"),
    "too_many_decks": N_("decks.too_many_decks"),
    "preview_gone": N_("decks.preview_gone"),
    "cancelled": N_("decks.cancelled"),
    "already_imported": N_("decks.already_imported"),
    "bank_on": N_("decks.bank_on"),
    "bank_off": N_("decks.bank_off"),
    "deck_on": N_("decks.deck_on"),
    "deck_off": N_("decks.deck_off"),
    "last_source": N_("decks.last_source"),
    "no_deck_id": N_("decks.no_deck_id"),
    "no_deck": N_("decks.no_deck"),
    "bad_name": N_("decks.bad_name"),
    "name_taken": N_("decks.name_taken"),
    "renamed": N_("decks.renamed"),
    "deleted": N_("decks.deleted"),
    "deleted_bank_on": N_("decks.deleted_bank_on"),
    "attached": N_("decks.attached"),
    "no_gradable": N_("decks.no_gradable"),
    "detached": N_("decks.detached"),
    "none_attached": N_("decks.none_attached"),
    "group_uses_bank": N_("decks.group_uses_bank"),
    "group_uses_deck": N_("decks.group_uses_deck"),
}

_WITH_HINT = frozenset({"wrong_type", "download_failed", "binary"})  # files that may have been meant as answers

_IMPORTS = {  # what an Import press did -> its message
    ImportStatus.IMPORTED: N_("decks.imported"), ImportStatus.REPLACED: N_("decks.replaced"),
    ImportStatus.ALREADY: N_("decks.already"), ImportStatus.CANCELLED: N_("decks.import_cancelled"),
    ImportStatus.GONE: N_("decks.preview_gone"), ImportStatus.EXPIRED: N_("decks.expired"),
    ImportStatus.TOO_MANY: N_("decks.too_many_decks"),
}  # fmt: skip


# The importers' English words (skip reasons, patterns, what a file that is not notes is) -> their
# messages; words not listed here are shown as the importer wrote them.
_REASONS = {
    "front matter": N_("decks.reason.front_matter"),
    "excerpt marker <!--more-->": N_("decks.reason.more_marker"),
    "table of contents": N_("decks.reason.toc"),
    "HTML comment": N_("decks.reason.html_comment"),
    "title underline": N_("decks.reason.title_underline"),
    "horizontal rule": N_("decks.reason.rule"),
    "page boilerplate": N_("decks.reason.page_boilerplate"),
    "badges": N_("decks.reason.badges"),
    "back-to-top link": N_("decks.reason.back_to_top"),
    "end mark": N_("decks.reason.end_mark"),
    METADATA: N_("decks.reason.metadata"),
    "question label (the question follows it)": N_("decks.reason.question_label"),
    "empty heading": N_("decks.reason.empty_heading"),
    "page header": N_("decks.reason.page_header"),
    "document title": N_("decks.reason.title"),
    "references": N_("decks.reason.references"),
    "introduction": N_("decks.reason.introduction"),
    "closing remarks": N_("decks.reason.closing"),
    "project boilerplate": N_("decks.reason.project"),
    "empty section heading": N_("decks.reason.empty_section"),
    "<details> wrapper": N_("decks.reason.details_wrapper"),
    INTRODUCTION: N_("decks.reason.intro"),
    "section introduction (before its first question)": N_("decks.reason.section_intro"),
    PLACEHOLDER: N_("decks.reason.placeholder"),
    "Anki file header": N_("decks.reason.anki_header"),
    "comment line (#…)": N_("decks.reason.comment_line"),
    "header row (column names)": N_("decks.reason.header_row"),
    "card without a front": N_("decks.reason.no_front"),
    "card whose front is only an image": N_("decks.reason.image_front"),
    "duplicate card (the same front and back as an earlier one)": N_("decks.reason.duplicate_card"),
}
_TAG_REASONS = (  # reasons that name a hexo tag
    (re.compile(r"hexo tag \{% (\w+) %\}"), N_("decks.reason.hexo_tag")),
    (re.compile(r"text of the \{% (\w+) %\} box \(page intro, not a question\)"), N_("decks.reason.hexo_intro")),
    (re.compile(r"text of the \{% (\w+) %\} box"), N_("decks.reason.hexo_box")),
)
_PATTERNS = {  # a Pattern's kind (heading and item aside) -> its message
    "headings": N_("decks.pattern.headings"),
    "summary": N_("decks.pattern.summary"),
    "qprefix": N_("decks.pattern.qprefix"),
    "bold": N_("decks.pattern.bold"),
    "quote": N_("decks.pattern.quote"),
    "plain": N_("decks.pattern.plain"),
}
_MARKERS = {
    "num": N_("decks.marker.num"), "paren": N_("decks.marker.num"), "bullet": N_("decks.marker.bullet"),
    "bullet-num": N_("decks.marker.bullet_num"),
}  # fmt: skip
_NOT_NOTES = {  # what `content_reason` says a file is
    "JSON data": N_("decks.what.json"),
    "Python source code": N_("decks.what.python"),
    "a table of comma-separated values (CSV)": N_("decks.what.csv"),
    "a table of tab-separated values (TSV)": N_("decks.what.tsv"),
    "a table of semicolon-separated values (CSV)": N_("decks.what.semicolon"),
}
_NEAR_MISS = re.compile(r"(\d+) (.+), (\d+) of which read as questions")


def reason_text(reason: str, language: str) -> str:
    """Why lines were skipped, in words (the importer's English for a reason not in the catalog).

    >>> reason_text("table of contents", "en"), reason_text("hexo tag {% note %}", "en"), reason_text("new", "zh")
    ('table of contents', 'hexo tag {% note %}', 'new')
    """
    if reason in _REASONS:
        return _(_REASONS[reason], language)
    for pattern, msgid in _TAG_REASONS:
        if match := pattern.fullmatch(reason):
            return _(msgid, language, tag=match.group(1))
    return reason


def pattern_text(pattern: Pattern, language: str) -> str:
    """How questions were found, in words (`Pattern.describe()` in English).

    >>> pattern_text(described_pattern("top-level numbered list items in bold"), "en")
    'top-level numbered list items in bold'
    """
    if pattern.kind == "heading":
        numerals = gettext("decks.level_numerals", language).split()
        level = numerals[pattern.level - 1] if 0 < pattern.level <= len(numerals) else str(pattern.level)
        return _("decks.pattern.heading", language, level=level, marks="#" * pattern.level)
    if pattern.kind == "item" and pattern.marker in _MARKERS:
        if pattern.level == 0:
            where = _("decks.pattern.top_level", language)
        else:
            where = _("decks.pattern.depth", language, level=pattern.level)
        marker = _(_MARKERS[pattern.marker], language)
        if pattern.bold:
            return _("decks.pattern.item_bold", language, where=where, marker=marker)
        return _("decks.pattern.item", language, where=where, marker=marker)
    return _(_PATTERNS[pattern.kind], language) if pattern.kind in _PATTERNS else pattern.describe()


def _structure_text(preview: DeckPreview, language: str) -> str:
    if preview.pattern is not None:
        return pattern_text(preview.pattern, language)
    return _("decks.pattern.post", language) if preview.structure == POST_STRUCTURE else preview.structure


def _near_miss_text(detail: str, language: str) -> str:
    """The importer's "48 level-1 headings (# …), 20 of which read as questions", in words."""
    match = _NEAR_MISS.fullmatch(detail)
    pattern = described_pattern(match.group(2)) if match else None
    if match is None or pattern is None:
        return detail
    return _("decks.near_miss", language, total=int(match.group(1)), pattern=pattern_text(pattern, language),
             questions=int(match.group(3)))  # fmt: skip


def megabytes(size: int) -> str:
    """A size as users read it.

    >>> megabytes(1_000_000), megabytes(2_500_000), megabytes(20_480)
    ('1 MB', '2.5 MB', '20 KB')
    """
    if size < 100_000:
        return f"{max(1, round(size / 1000))} KB"
    return f"{size / 1_000_000:.1f}".rstrip("0").rstrip(".") + " MB"


def off_words() -> frozenset[str]:
    """The words after /mock_deck that go back to the shared bank, in every language.

    >>> {"off", "关闭"} <= off_words()
    True
    """
    return frozenset(word.lower() for language in LANGUAGES for word in gettext("decks.off_words", language).split())


def notice_text(notice: DeckNotice, language: str) -> str:
    """A deck outcome of the engine, in words (after a file that may have been meant as an
    answer, with how to import notes and how to answer)."""
    values = dict(notice.values)
    for key in ("size", "limit"):
        if notice.code == "too_large" and key in values:
            values[key] = megabytes(int(values[key]))  # type: ignore[call-overload]
    if notice.code == "no_questions" and values.get("detail"):
        values["detail"] = f"({_near_miss_text(str(values['detail']), language)})"
    if notice.code == "not_notes" and values.get("what") in _NOT_NOTES:
        values["what"] = _(_NOT_NOTES[str(values["what"])], language)
    text = _(_NOTICES[notice.code], language, **values).strip()
    if notice.code in _WITH_HINT:
        text += "\n" + _("decks.send_notes", language)
    return text


def import_text(status: ImportStatus, language: str, *, name: str | None, count: int | None, minutes: int, limit: int) -> str:
    """What an Import press did, in words."""
    msgid = N_("decks.already_gone") if status is ImportStatus.ALREADY and name is None else _IMPORTS[status]
    return _(msgid, language, name=name or "", count=count or 0, minutes=minutes, limit=limit)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def preview_text(preview: DeckPreview, language: str, *, topic_name: Callable[[str], str], minutes: int, shown: int = 5) -> str:
    """The preview of a file: counts, how questions were found, topics, the first questions with
    their key points, the lines skipped with why, and the question."""
    count = len(preview.questions)
    lines = [_("decks.preview_head", language, file=preview.file_name, name=preview.name, count=count,
               answered=preview.answered, open=count - preview.answered)]  # fmt: skip
    if preview.replaces is not None:
        lines.append(_("decks.preview_replaces", language, count=preview.replaces))
    if preview.structure:
        lines.append(_("decks.preview_structure", language, structure=_structure_text(preview, language)))
    topics = _("list_separator", language).join(f"{topic_name(t)} {n}" for t, n in preview.topics)
    lines.append(_("decks.preview_topics", language, topics=topics))
    first = preview.questions[:shown]
    heading = _("decks.preview_first", language, n=len(first)) if len(first) < count else _("decks.preview_all", language, n=len(first))
    lines += ["", heading]
    for number, question in enumerate(first, start=1):
        lines.append(f"{number}. [{topic_name(question.topic)}] {_clip(question.question, 80)}")
        if question.answered:
            points = " | ".join(_clip(p.text, 40) for p in question.key_points[:3])
            lines.append("   " + _("decks.preview_points", language, n=len(question.key_points), points=points))
        else:
            lines.append("   " + _("decks.preview_open", language))
    if count > len(first):
        lines.append(_("decks.preview_more", language, n=count - len(first)))
    if preview.skipped:
        lines += ["", _("decks.preview_skipped", language, n=preview.skipped_lines)]
        lines += [f"  {run.span}  {reason_text(run.reason, language)}: {_clip(run.text, 40)}" for run in preview.skipped[:8]]
        if len(preview.skipped) > 8:
            lines.append("  …")
    if preview.unplaced:
        lines.append(_("decks.preview_unplaced", language, n=preview.unplaced))
    lines += ["", _("decks.preview_ask", language, minutes=minutes)]
    return "\n".join(lines)


def overview_text(overview: DeckOverview, language: str, *, decks: int, questions: int, size: int) -> str:
    """/decks: the user's sources and which are practised."""
    mark = {True: "✅", False: "▫️"}
    bank = _("decks.shared_bank", language)
    lines = [_("decks.source_line", language, mark=mark[overview.shared_bank], name=bank, count=overview.bank_questions)]
    lines += [_("decks.source_line", language, mark=mark[d.practised], name=_("decks.deck_name", language, name=d.name),
                count=d.questions) for d in overview.decks]  # fmt: skip
    if not overview.decks:
        lines.append(_("decks.no_decks", language))
    return _("decks.overview", language, lines="\n".join(lines), decks=decks, questions=questions, size=megabytes(size))
