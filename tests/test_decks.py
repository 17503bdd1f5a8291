"""Decks in the store and the engine (no Telegram): previews imported once even when pressed at
the same moment, limits, forgetting, group attachments that follow a supergroup upgrade, and that
no path finds another user's deck. On SQLite and PostgreSQL."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.engine import PracticeEngine
from bot.engine.decks import DeckNotice, DeckPreview, deck_name_for
from bot.engine.library import DeckLimits, deck_of
from bot.engine.replies import Action
from bot.engine.rounds import RoundRules, start_round
from bot.storage import ImportStatus, Store
from questions.bank import Bank
from questions.taxonomy import Taxonomy

NOTES = Path(__file__).parent / "data" / "notes"
ANN, BEN = "tg:11", "tg:12"
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


class _NoGrader:
    """Deck tests that grade nothing need no embedding model."""


@pytest.fixture()
def engine(database_url: str, bank: Bank, taxonomy: Taxonomy) -> Iterator[PracticeEngine]:
    built = PracticeEngine(Store.open(database_url), bank, _NoGrader(), taxonomy, rng=random.Random(7),  # type: ignore[arg-type]
                           deck_limits=DeckLimits(max_decks=2, max_questions=30))  # fmt: skip
    yield built
    built.store.close()


def _preview(engine: PracticeEngine, user: str, name: str, *, now: datetime = NOW) -> DeckPreview:
    result = engine.preview_file(user, name, (NOTES / name).read_bytes(), now=now)
    assert isinstance(result, DeckPreview), result
    return result


def _imported(engine: PracticeEngine, user: str, name: str) -> int:
    outcome = engine.import_deck(user, _preview(engine, user, name).upload_id, now=NOW)
    assert outcome.status is ImportStatus.IMPORTED and outcome.deck is not None
    return outcome.deck.id


def test_deck_names_come_from_file_names() -> None:
    assert deck_name_for("ML notes.md") == "ML notes"
    assert deck_name_for("a/b\\深度学习 笔记.markdown") == "深度学习 笔记"
    assert deck_name_for(".md") == ".md" and deck_name_for("x" * 90 + ".txt") == "x" * 64


def test_presses_at_the_same_moment_import_a_preview_once(engine: PracticeEngine) -> None:
    preview = _preview(engine, ANN, "details_headings.md")
    results: list[ImportStatus] = []
    start = threading.Barrier(4)

    def press() -> None:
        start.wait()
        results.append(engine.import_deck(ANN, preview.upload_id, now=NOW).status)

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == sorted([ImportStatus.IMPORTED] + [ImportStatus.ALREADY] * 3)
    (deck,) = engine.store.decks(ANN)
    assert deck.questions == len(preview.questions) == 12
    ids = [q.id for q in engine.library(ANN).questions if deck_of(q.id) == deck.id]
    assert len(ids) == 12 and all(x.startswith(f"deck_{deck.id}-") for x in ids)
    assert not set(ids) & {q.id for q in engine.bank.questions}


def test_limits_expiry_and_another_users_preview(engine: PracticeEngine) -> None:
    late = _preview(engine, ANN, "bold_bullets.md", now=NOW - timedelta(hours=2))
    assert engine.import_deck(ANN, late.upload_id, now=NOW).status is ImportStatus.EXPIRED
    theirs = _preview(engine, ANN, "details_headings.md")
    assert engine.import_deck(BEN, theirs.upload_id, now=NOW).status is ImportStatus.GONE
    assert engine.cancel_upload(BEN, theirs.upload_id) == DeckNotice("preview_gone")
    _imported(engine, ANN, "numbered_sections.md")
    _imported(engine, ANN, "plain_numbered.txt")
    refused = engine.preview_file(ANN, "qa_prefix.txt", (NOTES / "qa_prefix.txt").read_bytes(), now=NOW)
    assert refused == DeckNotice("too_many_decks", {"limit": 2})
    assert engine.import_deck(ANN, theirs.upload_id, now=NOW).status is ImportStatus.TOO_MANY  # previewed before
    many = "".join(f"{n}. 什么是方法{n}？\n方法{n}用来解决问题{n}。\n\n" for n in range(31)).encode()
    assert engine.preview_file(BEN, "many.txt", many, now=NOW) == DeckNotice("too_many_questions", {"count": 31, "limit": 30})


def test_no_path_finds_another_users_deck(engine: PracticeEngine) -> None:
    deck_id = _imported(engine, ANN, "details_headings.md")
    engine.toggle_source(ANN, None)  # Ann practises her deck only
    asked = engine.next_question(ANN, now=NOW)
    assert deck_of(asked.question_id or "") == deck_id
    theirs = asked.question_id
    assert all(deck_of(engine.next_question(BEN, now=NOW + timedelta(minutes=n)).question_id or "") is None for n in range(5))
    assert engine.library(BEN).get(theirs) is None  # type: ignore[arg-type]
    for action in (Action.ANSWER, Action.HINT, Action.SKIP, Action.FOLLOWUP):
        for reply in engine.press(BEN, action, question_id=theirs, now=NOW):
            assert "过拟合" not in reply.text and "details_headings" not in reply.text
    replied = engine.submit(BEN, "答案", replying_to=theirs, now=NOW)
    assert replied[0].kind.value == "error" and theirs in replied[0].text  # "no such question", nothing graded
    assert engine.store.attempts(BEN) == []
    assert engine.toggle_source(BEN, deck_id) == DeckNotice("no_deck_id")
    assert engine.delete_deck(BEN, deck_id) == DeckNotice("no_deck_id")
    assert engine.rename_deck(BEN, "details_headings", "x").code == "no_deck"
    assert engine.attach_deck("tg:-100", BEN, "details_headings").code == "no_deck"
    pushed = engine.next_questions([ANN, BEN], now=NOW + timedelta(days=1))  # the daily push
    assert deck_of(pushed[ANN].question_id or "") == deck_id and deck_of(pushed[BEN].question_id or "") is None


def test_a_group_deck_feeds_mock_and_follows_an_upgrade_and_forget_deletes_it(engine: PracticeEngine) -> None:
    deck_id = _imported(engine, ANN, "qa_english.md")
    assert engine.attach_deck("tg:-5", ANN, "QA_ENGLISH").code == "attached"  # names match ignoring case
    record, reply = start_round(engine, "tg:-5", BEN, RoundRules(questions=2), language="zh", now=NOW)
    assert record is not None and all(deck_of(x) == deck_id for x in record.question_ids)
    assert reply.question_id in record.question_ids
    engine.store.move_chat("tg:-5", "tg:-1005")
    assert engine.store.group_deck("tg:-5") is None and engine.store.group_deck("tg:-1005").id == deck_id  # type: ignore[union-attr]
    engine.forget(ANN)
    assert engine.store.decks(ANN) == [] and engine.store.group_deck("tg:-1005") is None
    record2, _ = start_round(engine, "tg:-6", BEN, RoundRules(questions=1), language="zh", now=NOW)
    assert record2 is not None and deck_of(record2.question_ids[0]) is None  # the shared bank


def test_deleting_the_only_source_turns_the_shared_bank_on(engine: PracticeEngine) -> None:
    deck_id = _imported(engine, ANN, "details_headings.md")
    assert engine.toggle_source(ANN, None).code == "bank_off"
    assert engine.toggle_source(ANN, deck_id).code == "last_source"
    assert engine.delete_deck(ANN, deck_id).code == "deleted_bank_on"
    assert engine.store.user(ANN).shared_bank


def _english_words(preview: DeckPreview) -> list[str]:
    """The importer's English words in a preview: how questions were found and why lines were skipped."""
    return [preview.structure, *(run.reason for run in preview.skipped)]


@pytest.mark.parametrize("name", ["details_headings.md", "anchor_toc.md", "hexo_post.md", "interview_log.md"])
def test_a_chinese_preview_words_the_importers_english_and_the_english_one_keeps_it(engine: PracticeEngine, name: str) -> None:
    from bot.telegram.decks.texts import preview_text

    preview = _preview(engine, ANN, name)
    assert preview.pattern is not None or preview.structure
    assert {run.reason for run in preview.skipped} - {"document title"}  # more reasons than the title
    zh = preview_text(preview, "zh", topic_name=str, minutes=30)
    leaked = [words for words in _english_words(preview) if words in zh]
    assert not leaked, leaked
    en = preview_text(preview, "en", topic_name=str, minutes=30)
    assert f"Questions found as: {preview.structure}" in en
    assert all(f"  {run.span}  {run.reason}: " in en for run in preview.skipped[:8])


def test_the_importers_words_in_a_notice_are_worded_too() -> None:
    from bot.telegram.decks.texts import notice_text, pattern_text, reason_text
    from questions.importers.notes import near_miss
    from questions.importers.notes.patterns import described_pattern

    headings = "# 机器学习\n\n一些内容。\n\n# 深度学习\n\n一些内容。\n\n# 为什么要归一化？\n\n答案。\n\n# 优化器\n\n一些内容。\n"
    detail = near_miss(headings)
    zh = notice_text(DeckNotice("no_questions", {"detail": detail}), "zh")
    assert "（4 处一级标题（# …），其中 1 处像题目）" in zh.replace("(", "（").replace(")", "）")
    assert f"({detail})" in notice_text(DeckNotice("no_questions", {"detail": detail}), "en")
    assert "JSON 数据" in notice_text(DeckNotice("not_notes", {"what": "JSON data"}), "zh")
    assert "(it reads as JSON data)" in notice_text(DeckNotice("not_notes", {"what": "JSON data"}), "en")
    for description in ("level-3 headings (### …)", "depth-1 numbered bulleted list items", "<details> summaries"):
        pattern = described_pattern(description)
        assert pattern is not None and pattern_text(pattern, "en") == description == pattern.describe()
    assert pattern_text(described_pattern("level-3 headings (### …)"), "zh") == "三级标题（### …）"  # type: ignore[arg-type]
    assert reason_text("a reason of tomorrow", "zh") == "a reason of tomorrow"  # not in the catalog: as it is
    assert reason_text("text of the {% note %} box", "zh") == "{% note %} 提示框里的文字"
