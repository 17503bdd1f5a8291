"""Admin commands end to end: the real PTB Application over real HTTP against the fake Bot API
server, the real engine, grader and SQLite file, and a copy of the bank (the repository's bank is
never written)."""

from __future__ import annotations

import logging
import random
import re
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.config import ConfigError, TelegramSettings, load_settings
from bot.engine import PracticeEngine
from bot.storage import Store
from bot.telegram import daily
from bot.telegram.app import build_application
from grading.grader import Grader
from mockbot_testing.fake_api import ApplicationThread, FakeBotApi, SentCall
from questions import editing
from questions.bank import load_bank, read_bank_file
from questions.importer import import_seeds
from questions.model import AnswerKind
from questions.taxonomy import Taxonomy

ADMIN = 7001  # private chats: chat id == user id
OTHER = 4242
GROUP = -100500
SEED_002 = "002_db8b47767325c17e"
MASK_ANSWER = "- attention中的mask用于屏蔽padding位置\n- decoder中的mask防止看到未来的词\n- encoder只需要padding mask"
BN_QUESTION = "BN在推理时用什么均值和方差？"
BN_ANSWER = "- 推理时使用训练阶段用移动平均累计的全局均值和方差\n- 不再使用当前batch的统计量"

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture()
def bank_dir(tmp_path: Path, repo_bank_dir: Path) -> Path:
    """A copy of the repository's bank: the one the engine serves and the admin commands edit."""
    return Path(shutil.copytree(repo_bank_dir, tmp_path / "bank"))


@pytest.fixture()
def engine(database_url: str, bank_dir: Path, grader: Grader, taxonomy: Taxonomy) -> Iterator[PracticeEngine]:
    store = Store.open(database_url)
    built = PracticeEngine(store, load_bank(bank_dir, taxonomy), grader, taxonomy, rng=random.Random(5))
    yield built
    store.close()


def _bot(fake: FakeBotApi, engine: PracticeEngine, bank_dir: Path | None) -> ApplicationThread:
    application = build_application(engine, fake.token, base_url=fake.base_url, admins=[ADMIN], bank_dir=bank_dir)
    return ApplicationThread(application)


def _say(fake: FakeBotApi, chat: int, text: str, expect: str, timeout: float = 20.0) -> SentCall:
    """Send `text` in a private chat; the bot's next message there containing `expect`."""
    mark = len(fake.calls)
    fake.send_text(chat, chat, text)
    return fake.wait_for(lambda c: c.chat_id == chat and c.method == "sendMessage" and expect in (c.text or ""), timeout, since=mark)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _unanswered(bank_dir: Path, taxonomy: Taxonomy) -> list[str]:
    bank_file, _ = read_bank_file(bank_dir / f"{SEED_002}.yaml", taxonomy)
    return [q.id for q in bank_file.questions if q.answer_kind is AnswerKind.NONE]  # type: ignore[union-attr]


def test_admins_are_read_from_the_config(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("telegram:\n  admins: [12345, 67890]\n", encoding="utf-8")
    assert load_settings(path).telegram.admins == [12345, 67890]
    assert TelegramSettings().admins == []  # nobody by default
    path.write_text("telegram:\n  port: 8443\n  admins: [-1001234]\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert f"{path}:3: telegram.admins" in str(info.value) and "user id" in str(info.value)


def test_non_admins_are_refused_and_nothing_changes(
    fake: FakeBotApi, engine: PracticeEngine, bank_dir: Path, taxonomy: Taxonomy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.telegram.admin")
    engine.store.user(f"tg:{OTHER}")
    files, bank = _snapshot(bank_dir), engine.bank
    question_id = _unanswered(bank_dir, taxonomy)[0]
    commands = (
        "/reload",
        f"/add_question python\n{BN_QUESTION}\n---\n{BN_ANSWER}",
        f"/set_answer {question_id}\n{MASK_ANSWER}",
        "/edit_question 000-3e6fd4\n新的题目？",
        "/broadcast 大家好",
    )
    with _bot(fake, engine, bank_dir):
        menu = fake.wait_for(lambda c: c.method == "setMyCommands", 10.0)
        for command in commands:
            assert _say(fake, OTHER, command, "仅管理员可用").text == "仅管理员可用 / Admins only."
    assert "reload" not in str(menu.params.get("commands")) and "broadcast" not in str(menu.params.get("commands"))
    assert _snapshot(bank_dir) == files and engine.bank is bank
    assert engine.store.pending(datetime.now(timezone.utc) + timedelta(days=1)) == []
    refusals = [r for r in caplog.records if r.levelno == logging.WARNING and str(OTHER) in r.getMessage()]
    assert len(refusals) == len(commands)
    assert all(fake.token not in r.getMessage() for r in caplog.records)


def test_add_question(fake: FakeBotApi, engine: PracticeEngine, bank_dir: Path, taxonomy: Taxonomy) -> None:
    before = len(engine.bank.questions)
    with _bot(fake, engine, bank_dir):
        reply = _say(fake, ADMIN, f"/add_question 深度学习基础\n{BN_QUESTION}\n---\n{BN_ANSWER}", "已添加题目")
        question_id = re.search(r"admin-[0-9a-f]{6}", reply.text).group()  # type: ignore[union-attr]
        assert f"题库现有 {before + 1} 道题" in reply.text

        on_disk = load_bank(bank_dir, taxonomy)  # the file is valid bank YAML
        assert on_disk.get(question_id) is not None and (bank_dir / editing.ADMIN_FILE).is_file()
        served = engine.bank.get(question_id)  # swapped into the engine
        assert served is not None and served.topic == "dl-basics" and served.question == BN_QUESTION
        assert served.answer_kind is AnswerKind.TEXT and len(served.point_texts) == 2

        engine._ask(f"tg:{ADMIN}", served, now=datetime.now(timezone.utc))  # the next question is the new one
        mark = len(fake.calls)
        fake.send_text(ADMIN, ADMIN, "推理时用训练时移动平均得到的全局均值和方差，不用当前batch的统计量")
        feedback = fake.wait_for(lambda c: c.chat_id == ADMIN and "/100" in (c.text or ""), 20.0, since=mark)
        assert "得分" in feedback.text

        files = _snapshot(bank_dir)
        assert "可选的主题ID" in _say(fake, ADMIN, f"/add_question quantum\n{BN_QUESTION}", "不认识的主题「quantum」").text
        assert "dl-basics" in fake.messages_to(ADMIN)[-1].text
        _say(fake, ADMIN, "/add_question python", "题目是空的")
        _say(fake, ADMIN, "/add_question python\n  \n---\n答案", "题目是空的")
        _say(fake, ADMIN, "/add_question", "用法")
        _say(fake, ADMIN, f"/add_question dl-basics\n{BN_QUESTION}", f"已经有这道题了：{question_id}")
        assert _snapshot(bank_dir) == files and len(engine.bank.questions) == before + 1


def test_set_answer_fills_in_a_missing_answer_and_survives_a_reimport(
    fake: FakeBotApi, engine: PracticeEngine, bank_dir: Path, taxonomy: Taxonomy, seeds_dir: Path
) -> None:
    question_id, code_id = _unanswered(bank_dir, taxonomy)[:2]
    assert not engine.bank.get(question_id).answered  # type: ignore[union-attr]
    with _bot(fake, engine, bank_dir):
        reply = _say(fake, ADMIN, f"/set_answer {question_id}\n{MASK_ANSWER}", f"已更新 {question_id} 的参考答案")
        assert "3 个要点" in reply.text and "1. attention中的mask用于屏蔽padding位置" in reply.text
        served = engine.bank.get(question_id)
        assert served.answer == MASK_ANSWER and served.answer_kind is AnswerKind.TEXT  # type: ignore[union-attr]
        assert served.point_texts == ["attention中的mask用于屏蔽padding位置", "decoder中的mask防止看到未来的词", "encoder只需要padding mask"]  # type: ignore[union-attr]
        assert load_bank(bank_dir, taxonomy).get(question_id) == served
        assert "  - decoder中的mask防止看到未来的词\n" in (bank_dir / f"{SEED_002}.yaml").read_text(encoding="utf-8")

        # A client turns ``` into a `pre` entity: the answer keeps its code block.
        text = f"/set_answer {code_id}\n推理时切换到评估模式：\nmodel.eval()"
        mark = len(fake.calls)
        fake.push_update({"message": {
            "message_id": 900, "date": int(time.time()), "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": 11},
                         {"type": "pre", "offset": len(text) - len("model.eval()"), "length": len("model.eval()"), "language": "python"}],
            "chat": {"id": ADMIN, "type": "private", "first_name": "Ada"},
            "from": {"id": ADMIN, "is_bot": False, "first_name": "Ada"},
        }})  # fmt: skip
        fake.wait_for(lambda c: c.chat_id == ADMIN and f"已更新 {code_id}" in (c.text or ""), 20.0, since=mark)
        assert engine.bank.get(code_id).answer == "推理时切换到评估模式：\n```python\nmodel.eval()\n```"  # type: ignore[union-attr]
        assert engine.bank.get(code_id).answer_kind is AnswerKind.CODE  # type: ignore[union-attr]

        files = _snapshot(bank_dir)
        _say(fake, ADMIN, f"/set_answer 999-nothere\n{MASK_ANSWER}", "题库里没有题目 999-nothere")
        _say(fake, ADMIN, f"/set_answer {question_id}", "答案是空的")
        _say(fake, ADMIN, "/set_answer", "用法")
        assert _snapshot(bank_dir) == files

    # `mockbot bank import SEEDS --check`: the bank is up to date, and a real re-import keeps the answers.
    assert [r.bank_path.name for r in import_seeds(seeds_dir, bank_dir, taxonomy, write=False) if r.changed] == []
    results = import_seeds(seeds_dir, bank_dir, taxonomy)
    kept = [edit for r in results for edit in r.merge.kept_edits]
    assert f"{question_id}: answer" in kept and f"{code_id}: answer" in kept
    assert load_bank(bank_dir, taxonomy).get(question_id) == served


def test_edit_question_rewords_and_keeps_the_id(fake: FakeBotApi, engine: PracticeEngine, bank_dir: Path, taxonomy: Taxonomy) -> None:
    original = engine.bank.get("000-3e6fd4")
    with _bot(fake, engine, bank_dir):
        _say(fake, ADMIN, "/edit_question 000-3e6fd4\nPython 中 list 和 tuple\n有什么区别？", "已修改题目 000-3e6fd4")
        served = engine.bank.get("000-3e6fd4")
        assert served.question == "Python 中 list 和 tuple\n有什么区别？"  # type: ignore[union-attr]
        assert served.model_copy(update={"question": original.question}) == original  # type: ignore[union-attr]
        assert load_bank(bank_dir, taxonomy).get("000-3e6fd4") == served
        files = _snapshot(bank_dir)
        _say(fake, ADMIN, "/edit_question 999-nothere\n新的题目？", "题库里没有题目 999-nothere")
        _say(fake, ADMIN, "/edit_question 000-3e6fd4", "题目是空的")
        _say(fake, ADMIN, "/edit_question", "用法")
        assert _snapshot(bank_dir) == files


def test_reload_reports_a_broken_bank_and_keeps_the_old_one(
    fake: FakeBotApi, engine: PracticeEngine, bank_dir: Path, taxonomy: Taxonomy
) -> None:
    count = len(engine.bank.questions)
    with _bot(fake, engine, None):  # no bank folder given: the one the engine's bank came from
        _say(fake, ADMIN, "/reload", f"题库已重新加载：{count} 道题")

        (bank_dir / "broken.yaml").write_text("questions:\n- id: broken-1\n  topic: python\n  question: [unclosed\n", encoding="utf-8")
        old = engine.bank
        reply = _say(fake, ADMIN, "/reload", "没有重新加载")
        assert re.search(r"^broken\.yaml:\d+: broken YAML", reply.text, re.MULTILINE), reply.text
        assert f"原来的 {count} 道题" in reply.text and engine.bank is old

        mark = len(fake.calls)
        fake.send_text(OTHER, OTHER, "/question")  # the old bank keeps serving
        fake.wait_for(lambda c: c.chat_id == OTHER and "[0" in (c.text or "") and c.buttons, 20.0, since=mark)

        reply = _say(fake, ADMIN, f"/add_question python\n{BN_QUESTION}", "没有重新加载")  # saved, not served yet
        assert "broken.yaml:" in reply.text and engine.bank is old
        assert len(read_bank_file(bank_dir / editing.ADMIN_FILE, taxonomy)[0].questions) == 1  # type: ignore[union-attr]

        (bank_dir / "broken.yaml").unlink()
        _say(fake, ADMIN, "/reload", f"题库已重新加载：{count + 1} 道题")
        assert engine.bank is not old and len(engine.bank.questions) == count + 1


def test_broadcast_reaches_every_private_user_once_and_no_group(fake: FakeBotApi, engine: PracticeEngine, bank_dir: Path) -> None:
    private = [ADMIN, 101, 102]
    for key in [f"tg:{chat}" for chat in private] + [f"tg:{GROUP}", "term:alice"]:
        engine.store.user(key)
    assert engine.store.user_keys("tg:") == [f"tg:{ADMIN}", "tg:101", "tg:102", f"tg:{GROUP}"]
    text = "今晚8点群里模拟面试 / mock interview tonight at 8"

    def received(chat: int) -> list[SentCall]:
        return [c for c in fake.messages_to(chat) if text in (c.text or "")]

    with _bot(fake, engine, bank_dir) as running:
        _say(fake, ADMIN, f"/broadcast {text}", "已排队发送给 3 位用户")
        for chat in private:
            fake.wait_for(lambda c, chat=chat: c.chat_id == chat and text in (c.text or ""), 20.0)
        running.run(daily.deliver_pending(running.application, now=datetime.now(timezone.utc) + timedelta(minutes=5)))
        time.sleep(0.5)
    assert [len(received(chat)) for chat in private] == [1, 1, 1]  # exactly once
    assert received(GROUP) == [] and fake.messages_to(GROUP) == []
    assert [p for p in engine.store.pending(datetime.now(timezone.utc) + timedelta(days=1)) if p.kind == "broadcast"] == []


def test_user_keys_lists_users_by_prefix(database_url: str) -> None:
    store = Store.open(database_url)
    try:
        for key in ("tg:1", "term:alice", "tg:-5", "tg%:x", "tg:2"):
            store.user(key)
        assert store.user_keys("tg:") == ["tg:1", "tg:-5", "tg:2"]  # oldest first; "%" is no wildcard
        assert store.user_keys("tg%") == ["tg%:x"]
        assert store.user_keys() == ["tg:1", "term:alice", "tg:-5", "tg%:x", "tg:2"]
        assert store.user_keys("nobody:") == []
    finally:
        store.close()
