"""Decks in Telegram end to end: a notes file sent to the bot (getFile and the download from the
fake Bot API server) is previewed, imported once, and practised by its owner only; files that are
not notes get clear answers; /decks chooses, renames and deletes; a group admin attaches a deck for
/mock. The real PTB Application over HTTP; storage on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_process import until

from bot.engine import PracticeEngine
from bot.engine.library import DeckLimits, deck_of
from bot.storage import Store
from bot.telegram.app import build_application
from grading.grader import Grader
from mockbot_testing.fake_api import ApplicationThread, FakeBotApi, SentCall
from questions.bank import Bank
from questions.taxonomy import Taxonomy

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

NOTES = Path(__file__).parent / "data" / "notes"
ALICE, BOB = 5151, 5252  # private chats: chat id == user id
GROUP = -1005353
LIMITS = DeckLimits(max_file_bytes=20_000, max_decks=3, max_questions=40)


@pytest.fixture()
def engine(database_url: str, bank: Bank, grader: Grader, taxonomy: Taxonomy) -> Iterator[PracticeEngine]:
    built = PracticeEngine(Store.open(database_url), bank, grader, taxonomy, rng=random.Random(3), deck_limits=LIMITS)
    yield built
    built.store.close()


def _bot(fake: FakeBotApi, engine: PracticeEngine) -> ApplicationThread:
    return ApplicationThread(build_application(engine, fake.token, base_url=fake.base_url, answer_window=0.2))


def _to(fake: FakeBotApi, chat: int, since: int, said: str = "", *, buttons: bool = False) -> SentCall:
    """The bot's first message (or edit) to `chat` from call `since` on that contains `said`."""

    def matches(call: SentCall) -> bool:
        return (
            call.chat_id == chat and call.method in ("sendMessage", "editMessageText")
            and said in (call.text or "") and (call.buttons or not buttons)
        )  # fmt: skip

    return fake.wait_for(matches, 20.0, since=since)


def _send_file(fake: FakeBotApi, chat: int, name: str, data: bytes, said: str = "") -> SentCall:
    mark = len(fake.calls)
    fake.send_document(chat, chat, file_name=name, mime_type="text/markdown", data=data)
    return _to(fake, chat, mark, said)


def _press(fake: FakeBotApi, chat: int, message: SentCall, data: str, said: str = "") -> SentCall:
    mark = len(fake.calls)
    fake.press_button(chat, chat, message.message_id, data)  # type: ignore[arg-type]
    return _to(fake, chat, mark, said)


def _command(fake: FakeBotApi, chat: int, text: str, said: str = "", **kwargs: object) -> SentCall:
    mark = len(fake.calls)
    fake.send_text(chat, chat if chat > 0 else kwargs.pop("user"), text, **kwargs)  # type: ignore[arg-type]
    return _to(fake, chat, mark, said)


def _asked(call: SentCall) -> str:
    """The id of the question a question message asks."""
    return (call.text or "").split("[", 1)[1].split("]", 1)[0]


def _button(call: SentCall, prefix: str) -> str:
    return next(data for _, data in call.buttons if data and data.startswith(prefix))


def test_a_notes_file_is_previewed_imported_once_and_practised_by_its_owner_only(
    fake: FakeBotApi, engine: PracticeEngine
) -> None:
    notes = (NOTES / "details_headings.md").read_bytes()
    with _bot(fake, engine):
        preview = _send_file(fake, ALICE, "details_headings.md", notes, "12 道题")
        assert "导入为题组「details_headings」" in preview.text  # the deck's name, from the file's
        assert "什么是过拟合？如何防止？" in preview.text  # the first questions
        assert "跳过了" in preview.text and "目录: ## 目录" in preview.text  # the skipped lines, with why (in Chinese)
        assert [label for label, _ in preview.buttons] == ["导入", "取消"]
        imported = _press(fake, ALICE, preview, _button(preview, "deck:import:"), "已导入题组「details_headings」（12 题）")
        assert imported.chat_id == ALICE
        again = _press(fake, ALICE, preview, _button(preview, "deck:import:"), "已经导入过了")  # a second press
        assert "没有重复导入" in again.text
        (deck,) = engine.store.decks(f"tg:{ALICE}")
        assert deck.questions == 12

        # Alice practises her deck only: the shared bank switched off with its /decks button.
        listing = _command(fake, ALICE, "/decks", "details_headings")
        assert "✅ 共享题库" in listing.text
        switched = _press(fake, ALICE, listing, "deck:use:bank", "▫️ 共享题库")
        assert "✅ 「details_headings」" in switched.text
        question = _command(fake, ALICE, "/question", "[deck_")
        asked = _asked(question)
        assert deck_of(asked) == deck.id and "details_headings" in question.text.splitlines()[0]
        question_text = engine.library(f"tg:{ALICE}").get(asked).question  # type: ignore[union-attr]
        feedback = _command(fake, ALICE, "过拟合就是训练集上好、测试集上差，可以加数据、正则化、dropout。", "/100")
        assert "下次复习" in feedback.text  # graded against the deck's key points and scheduled

        # Bob never gets it: not by /question, not by a crafted button or reply, not in /decks.
        for _ in range(4):
            bobs = _command(fake, BOB, "/question", "[")
            assert deck_of(_asked(bobs)) is None
            _command(fake, BOB, "/skip", "")
        refused = _press(fake, BOB, bobs, f"answer|{asked}", asked)  # crafted: Alice's question id
        assert "参考答案" not in refused.text
        _press(fake, BOB, bobs, f"hint|{asked}|0", asked)
        _press(fake, BOB, bobs, _button(preview, "deck:import:"), "找不到这个预览")  # Alice's preview
        _press(fake, BOB, bobs, f"deck:delyes:{deck.id}", "这个题组已经不在了")  # Alice's deck
        _press(fake, BOB, bobs, f"deck:use:{deck.id}", "共享题库")
        _command(fake, BOB, "/decks", "还没有自己的题组")
        for call in fake.calls:
            if call.chat_id == BOB:
                assert question_text not in (call.text or "") and "details_headings" not in (call.text or "")
        (still,) = engine.store.decks(f"tg:{ALICE}")  # Bob's presses changed nothing
        assert still.practised and still.name == "details_headings"

        # /forget deletes Alice's decks with everything else.
        forget = _command(fake, ALICE, "/forget", "")
        _press(fake, ALICE, forget, "forget:yes", "")
        until(lambda: not engine.store.decks(f"tg:{ALICE}"), 10.0, "Alice's decks deleted")


def test_files_that_are_not_notes_get_clear_answers_and_nothing_is_imported(fake: FakeBotApi, engine: PracticeEngine) -> None:
    with _bot(fake, engine):
        assert "20 KB" in _send_file(fake, ALICE, "huge.md", b"# x\n" + b"a" * 30_000, "太大").text
        csv = _send_file(fake, ALICE, "scores.txt", b"name,score,rank\nann,90,1\nben,80,2\ncai,70,3\n", "不是面试笔记")
        assert "CSV" in csv.text
        assert "不是文本文件" in _send_file(fake, ALICE, "photo.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "文本").text
        assert ".pdf" in _send_file(fake, ALICE, "notes.pdf", b"%PDF-1.4", "只能导入笔记文件").text
        assert "没有找到题目" in _send_file(fake, ALICE, "diary.md", "今天天气很好。\n\n我去了公园。\n".encode(), "题目").text
        assert "空的" in _send_file(fake, ALICE, "empty.txt", b"  \n", "空").text
        assert "GBK" in _send_file(fake, ALICE, "bad.txt", b"\xff\xfe\xfa" * 20, "UTF-8").text
        many = "".join(f"### {n}. 什么是方法{n}？\n\n方法{n}用来解决问题{n}。\n\n" for n in range(45)).encode()
        assert "45 道题" in _send_file(fake, ALICE, "many.md", many, "一个题组最多 40 道").text
        # GBK notes are read; Cancel imports nothing, and Import after Cancel says so.
        gbk = (NOTES / "qa_prefix.txt").read_text(encoding="utf-8").encode("gb18030")
        preview = _send_file(fake, ALICE, "面经.txt", gbk, "导入为题组「面经」")
        _press(fake, ALICE, preview, _button(preview, "deck:cancel:"), "已取消")
        _press(fake, ALICE, preview, _button(preview, "deck:import:"), "已经取消")
        # A preview whose time ran out is not imported.
        engine.deck_limits = DeckLimits(max_file_bytes=20_000, max_decks=3, max_questions=40, preview_minutes=0)
        late = _send_file(fake, ALICE, "late.md", (NOTES / "bold_bullets.md").read_bytes(), "导入吗")
        _press(fake, ALICE, late, _button(late, "deck:import:"), "已过期")
    assert engine.store.decks(f"tg:{ALICE}") == []


def test_decks_are_renamed_limited_and_deleted(fake: FakeBotApi, engine: PracticeEngine) -> None:
    files = ("details_headings.md", "bold_bullets.md", "numbered_sections.md", "plain_numbered.txt")
    with _bot(fake, engine):
        for name in files[:3]:
            preview = _send_file(fake, ALICE, name, (NOTES / name).read_bytes(), "导入吗")
            _press(fake, ALICE, preview, _button(preview, "deck:import:"), "已导入")
        assert "已经有 3 个题组" in _send_file(fake, ALICE, files[3], (NOTES / files[3]).read_bytes(), "上限").text
        # The same file again replaces its deck (same id, same question ids) instead of adding one.
        before = {q.id for q in engine.library(f"tg:{ALICE}").questions if deck_of(q.id)}
        preview = _send_file(fake, ALICE, files[0], (NOTES / files[0]).read_bytes(), "同名题组")
        _press(fake, ALICE, preview, _button(preview, "deck:import:"), "已更新")
        assert {q.id for q in engine.library(f"tg:{ALICE}").questions if deck_of(q.id)} == before
        assert "改名为「ML 八股」" in _command(fake, ALICE, '/decks rename details_headings "ML 八股"', "改名").text
        assert "已经有" in _command(fake, ALICE, "/decks rename bold_bullets -> ML 八股", "换个名字").text
        assert "没有叫" in _command(fake, ALICE, "/decks rename nothing x", "没有叫").text
        confirm = _command(fake, ALICE, "/decks delete ML 八股", "删除题组「ML 八股」")
        _press(fake, ALICE, confirm, _button(confirm, "deck:delyes:"), "已删除题组「ML 八股」")
        names = [d.name for d in engine.store.decks(f"tg:{ALICE}")]
        assert names == ["bold_bullets", "numbered_sections"]
        # The last source on stays on.
        listing = _command(fake, ALICE, "/decks", "bold_bullets")
        listing = _press(fake, ALICE, listing, "deck:use:bank", "▫️ 共享题库")
        for deck in engine.store.decks(f"tg:{ALICE}")[:1]:
            listing = _press(fake, ALICE, listing, f"deck:use:{deck.id}", "▫️ 「bold_bullets」")
        last = engine.store.decks(f"tg:{ALICE}")[1]
        mark = len(fake.calls)
        fake.press_button(ALICE, ALICE, listing.message_id, f"deck:use:{last.id}")  # type: ignore[arg-type]
        toast = fake.wait_for(lambda c: c.method == "answerCallbackQuery" and "至少" in str(c.params.get("text")), 20.0, since=mark)
        assert toast and engine.store.deck(last.id).practised  # type: ignore[union-attr]


def test_a_group_admin_attaches_a_deck_and_mock_asks_from_it(fake: FakeBotApi, engine: PracticeEngine) -> None:
    fake.admins[GROUP].add(ALICE)
    with _bot(fake, engine):
        preview = _send_file(fake, ALICE, "qa_english.md", (NOTES / "qa_english.md").read_bytes(), "导入吗")
        _press(fake, ALICE, preview, _button(preview, "deck:import:"), "已导入")
        (deck,) = engine.store.decks(f"tg:{ALICE}")
        refused = _command(fake, GROUP, "/mock_deck qa_english", "只有群管理员", user=BOB, first_name="Bob")
        assert refused and engine.store.group_deck(f"tg:{GROUP}") is None
        assert "没有叫「nope」" in _command(fake, GROUP, "/mock_deck nope", "没有叫", user=ALICE, first_name="Alice").text
        _command(fake, GROUP, "/mock_deck qa_english", "从题组「qa_english」出题", user=ALICE, first_name="Alice")
        assert engine.store.group_deck(f"tg:{GROUP}").id == deck.id  # type: ignore[union-attr]
        question = _command(fake, GROUP, "/mock 2 20", "模拟面试 第 1/2 题", user=BOB, first_name="Bob")
        texts = {q.question for q in engine.library(f"tg:{ALICE}").questions if deck_of(q.id) == deck.id}
        assert question.text.split("\n\n", 1)[1] in texts
        (record,) = engine.store.active_rounds(f"tg:{GROUP}")
        assert all(deck_of(x) == deck.id for x in record.question_ids)
        _command(fake, GROUP, "/mock_stop", "", user=BOB, first_name="Bob")
        _command(fake, GROUP, "/mock_deck off", "共享题库", user=ALICE, first_name="Alice")
        assert engine.store.group_deck(f"tg:{GROUP}") is None
