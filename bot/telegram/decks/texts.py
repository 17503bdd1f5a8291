"""The words of the deck handlers: the engine's deck outcomes (`DeckNotice`), a file's preview,
/decks. The wordings are the catalog's `decks.` messages (`grading/locale`), looked up with `_()`."""

from __future__ import annotations

from collections.abc import Callable

from grading.i18n import LANGUAGES, N_, _, gettext

from ...engine.decks import DeckNotice, DeckOverview, DeckPreview
from ...storage import ImportStatus

__all__ = ["notice_text", "import_text", "preview_text", "overview_text", "off_words", "megabytes"]

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
        values["detail"] = f"({values['detail']})"
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
        lines.append(_("decks.preview_structure", language, structure=preview.structure))
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
        lines += [f"  {run.span}  {run.reason}: {_clip(run.text, 40)}" for run in preview.skipped[:8]]
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
