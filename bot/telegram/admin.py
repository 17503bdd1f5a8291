"""Admin commands in a private chat: /reload, /add_question, /set_answer, /edit_question, /broadcast.

Only the Telegram user ids in `telegram.admins` may use them; anyone else is told so, the attempt
is logged with their user id, and nothing changes. Bank edits are done by `questions.editing`
(atomic writes, in the importer's format); the bank is then loaded again and swapped into the
engine, and a bank that does not validate is reported as `file:line` lines while the old one
keeps serving.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path

from telegram import Message, MessageEntity, Update
from telegram.ext import ContextTypes

from questions import editing
from questions.bank import DEFAULT_BANK_DIR, BankInvalid, load_bank
from questions.model import Question
from questions.yamlio import YamlError

from ..engine import PracticeEngine, Reply, ReplyKind
from ..storage import Store
from . import outbox, send
from .outbox import BROADCAST

__all__ = ["HANDLERS", "ADMINS_ONLY", "admin_only", "queue_broadcast"]

logger = logging.getLogger(__name__)

ADMINS_ONLY = "仅管理员可用 / Admins only."

_TEXTS: dict[str, dict[str, str]] = {
    "usage_add": {
        "zh": "用法：\n/add_question 主题\n题目（从下一行开始）\n---\n参考答案（可选，Markdown）",
        "en": "Usage:\n/add_question topic\nthe question (from the next line on)\n---\nthe reference answer (optional, Markdown)",
    },
    "usage_set": {
        "zh": "用法：\n/set_answer 题目ID\n参考答案（从下一行开始，Markdown）",
        "en": "Usage:\n/set_answer question-id\nthe reference answer (from the next line on, Markdown)",
    },
    "usage_edit": {
        "zh": "用法：\n/edit_question 题目ID\n新的题目文字（从下一行开始）",
        "en": "Usage:\n/edit_question question-id\nthe new question text (from the next line on)",
    },
    "usage_broadcast": {"zh": "用法：/broadcast 要发给所有用户的文字", "en": "Usage: /broadcast the text to send to every user"},
    "empty_question": {
        "zh": "题目是空的：请在命令的下一行写题目。",
        "en": "The question is empty: write it on the line after the command.",
    },
    "empty_answer": {
        "zh": "答案是空的：请在命令的下一行写参考答案。",
        "en": "The answer is empty: write it on the line after the command.",
    },
    "unknown_topic": {
        "zh": "不认识的主题「{topic}」。可选的主题ID：{topics}",
        "en": "Unknown topic “{topic}”. Topic ids: {topics}",
    },
    "unknown_id": {
        "zh": "题库里没有题目 {id}（题目ID就是出题时方括号里的那串，如 000-3e6fd4）。",
        "en": "There is no question {id} in the bank (the id is shown in brackets with each question, e.g. 000-3e6fd4).",
    },
    "duplicate": {"zh": "题库里已经有这道题了：{id}", "en": "The bank already has this question: {id}"},
    "broken_file": {
        "zh": "题库文件有问题，没有修改：\n{problems}",
        "en": "A bank file is broken; nothing was changed:\n{problems}",
    },
    "invalid": {"zh": "没有修改：{reason}", "en": "Nothing was changed: {reason}"},
    "added": {
        "zh": "已添加题目 {id}（{topic}，答案类型 {answer_kind}，{n} 个要点）。题库现有 {count} 道题。",
        "en": "Added question {id} ({topic}, answer kind {answer_kind}, {n} key points). The bank has {count} questions.",
    },
    "answer_set": {
        "zh": "已更新 {id} 的参考答案（答案类型 {answer_kind}，{n} 个要点）：\n{points}",
        "en": "Updated the reference answer of {id} (answer kind {answer_kind}, {n} key points):\n{points}",
    },
    "reworded": {"zh": "已修改题目 {id}：\n{question}", "en": "Reworded {id}:\n{question}"},
    "saved_not_reloaded": {
        "zh": "{id} 已写入题库文件，但题库还有别的问题，没有重新加载（仍在使用原来的题库）：\n{problems}",
        "en": "{id} was written to the bank file, but the bank has other problems and was not reloaded "
        "(the old bank keeps serving):\n{problems}",
    },
    "reloaded": {
        "zh": "题库已重新加载：{count} 道题，其中 {answered} 道有参考答案。",
        "en": "Bank reloaded: {count} questions, {answered} with a reference answer.",
    },
    "reload_failed": {
        "zh": "题库有问题，没有重新加载（仍在使用原来的 {count} 道题）：\n{problems}",
        "en": "The bank has problems and was not reloaded (the old {count} questions keep serving):\n{problems}",
    },
    "queued": {"zh": "已排队发送给 {n} 位用户。", "en": "Queued for {n} users."},
}

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


def _engine(context: ContextTypes.DEFAULT_TYPE) -> PracticeEngine:
    return context.application.bot_data["engine"]


def _bank_dir(context: ContextTypes.DEFAULT_TYPE) -> Path:
    """The configured bank folder, else the one folder the engine's bank was loaded from."""
    configured = context.application.bot_data.get("bank_dir")
    if configured is not None:
        return Path(configured)
    folders = {path.parent for path in _engine(context).bank.files}
    return folders.pop() if len(folders) == 1 else DEFAULT_BANK_DIR


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, key: str, kind: ReplyKind = ReplyKind.INFO, **values: object) -> None:
    language = await asyncio.to_thread(_engine(context).language, send.user_key(update))
    text = _TEXTS[key][language].format(**values)
    await send.send_replies(context.bot, update.effective_chat.id, [Reply(kind, text)])  # type: ignore[union-attr]


def admin_only(handler: Handler) -> Handler:
    """Let only `telegram.admins` through; tell anyone else, log it with their user id."""

    @functools.wraps(handler)
    async def checked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is None or user.id not in context.application.bot_data.get("admins", frozenset()):
            command = ((update.effective_message.text or "").split() or ["?"])[0][:40]  # type: ignore[union-attr]
            logger.warning("admin command %s refused: user %s is not in telegram.admins", command, user.id if user else None)
            await send.reply_text(update.effective_message, ADMINS_ONLY)  # type: ignore[arg-type]
            return
        await handler(update, context)

    return checked


def _markdown(message: Message) -> str:
    """The message text with code blocks and inline code as Markdown again (clients turn ``` into entities)."""
    text = message.text or ""
    code = sorted((e for e in message.entities if e.type in (MessageEntity.PRE, MessageEntity.CODE)), key=lambda e: e.offset)
    units = text.encode("utf-16-le")  # entity offsets count UTF-16 code units
    pieces: list[str] = []
    at = 0
    for entity in code:
        start, end = 2 * entity.offset, 2 * (entity.offset + entity.length)
        if start < at:
            continue
        before, inner = units[at:start].decode("utf-16-le"), units[start:end].decode("utf-16-le")
        if entity.type == MessageEntity.PRE:
            lead = "" if not before or before.endswith("\n") else "\n"
            pieces += [before, f"{lead}```{entity.language or ''}\n{inner.strip(chr(10))}\n```\n"]
        else:
            pieces += [before, f"`{inner}`"]
        at = end
    pieces.append(units[at:].decode("utf-16-le"))
    return "".join(pieces)


def _arguments(update: Update, *, markdown: bool = True) -> tuple[str, str]:
    """What follows the command: (the rest of its line, the lines after it)."""
    message = update.effective_message
    text = _markdown(message) if markdown else message.text or ""  # type: ignore[arg-type, union-attr]
    first, _, body = text.replace("\r\n", "\n").partition("\n")
    parts = first.split(None, 1)
    return (parts[1].strip() if len(parts) > 1 else ""), body


def _id_and_text(update: Update) -> tuple[str, str]:
    """`/command <id> [text…]` + lines: the id and the text (the rest of the line and the lines after it)."""
    head, body = _arguments(update)
    question_id, rest = (head.split(None, 1) + ["", ""])[:2]
    return question_id, "\n".join(part for part in (rest, body) if part)


async def _reload(context: ContextTypes.DEFAULT_TYPE) -> list[str]:
    """Load the bank from disk and swap it into the engine; if it is broken, its problems (file:line)."""
    engine, bank_dir = _engine(context), _bank_dir(context)
    try:
        bank = await asyncio.to_thread(load_bank, bank_dir, engine.taxonomy)
    except BankInvalid as exc:
        problems = editing.problem_lines(exc.problems, bank_dir)
    except YamlError as exc:
        problems = [str(exc)]
    else:
        engine.replace_bank(bank)
        logger.info("question bank reloaded from %s: %d questions", bank_dir, len(bank.questions))
        return []
    logger.warning("question bank in %s not reloaded: %d problem(s)", bank_dir, len(problems))
    return problems


def _refusal(exc: Exception, bank_dir: Path) -> tuple[str, dict[str, object]]:
    if isinstance(exc, editing.EmptyText):
        return f"empty_{exc.what}", {}
    if isinstance(exc, editing.UnknownTopic):
        return "unknown_topic", {"topic": exc.topic, "topics": ", ".join(exc.known)}
    if isinstance(exc, editing.UnknownQuestion):
        return "unknown_id", {"id": exc.question_id}
    if isinstance(exc, editing.DuplicateQuestion):
        return "duplicate", {"id": exc.existing_id}
    if isinstance(exc, editing.BrokenFile):
        return "broken_file", {"problems": "\n".join(editing.problem_lines(exc.problems, bank_dir))}
    return "invalid", {"reason": str(exc)}


async def _edit(update: Update, context: ContextTypes.DEFAULT_TYPE, done: str, change: Callable[..., Question], *args: object) -> None:
    """Run a bank edit in a worker thread, reload the bank, and say what happened."""
    bank_dir = _bank_dir(context)
    try:
        question = await asyncio.to_thread(change, bank_dir, *args)
    except (editing.EditError, OSError) as exc:  # OSError: the bank folder is not writable, …
        key, values = _refusal(exc, bank_dir)
        await _say(update, context, key, ReplyKind.ERROR, **values)
        return
    logger.info("admin %s: %s %s", update.effective_user.id, done, question.id)  # type: ignore[union-attr]
    problems = await _reload(context)
    if problems:
        await _say(update, context, "saved_not_reloaded", ReplyKind.ERROR, id=question.id, problems="\n".join(problems))
        return
    points = "\n".join(f"{n}. {point}" for n, point in enumerate(question.key_points, start=1))
    await _say(
        update, context, done, id=question.id, topic=question.topic, answer_kind=question.answer_kind.value,
        n=len(question.key_points), points=points, question=question.question, count=len(_engine(context).bank.questions),
    )  # fmt: skip


@admin_only
async def reload_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload: load the bank from disk again; a broken bank is reported and the old one kept."""
    problems = await _reload(context)
    bank = _engine(context).bank
    if problems:
        await _say(update, context, "reload_failed", ReplyKind.ERROR, count=len(bank.questions), problems="\n".join(problems))
        return
    await _say(update, context, "reloaded", count=len(bank.questions), answered=sum(q.answered for q in bank.questions))


@admin_only
async def add_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/add_question <topic>, then the question, optionally `---` and the reference answer."""
    topic, body = _arguments(update)
    if not topic:
        await _say(update, context, "usage_add")
        return
    question, answer = editing.split_question_and_answer(body)
    await _edit(update, context, "added", editing.add_question, _engine(context).taxonomy, topic, question, answer)


@admin_only
async def set_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/set_answer <id>, then the reference answer (Markdown): fills in or replaces it."""
    question_id, answer = _id_and_text(update)
    if not question_id:
        await _say(update, context, "usage_set")
        return
    await _edit(update, context, "answer_set", editing.set_answer, question_id, answer, _engine(context).taxonomy)


@admin_only
async def edit_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/edit_question <id>, then the new question text."""
    question_id, text = _id_and_text(update)
    if not question_id:
        await _say(update, context, "usage_edit")
        return
    await _edit(update, context, "reworded", editing.reword_question, question_id, text, _engine(context).taxonomy)


def queue_broadcast(store: Store, text: str, now: datetime) -> int:
    """Queue `text` once for every private Telegram chat (positive ids; groups are negative)."""
    queued = 0
    for key in store.user_keys(send.KEY_PREFIX):
        chat = key.removeprefix(send.KEY_PREFIX)
        if chat.isdigit() and int(chat) > 0 and store.enqueue(key, BROADCAST, {"text": text}, due_at=now) is not None:
            queued += 1
    return queued


@admin_only
async def broadcast(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/broadcast <text>: send the text to every user who chats with the bot privately."""
    head, body = _arguments(update, markdown=False)
    text = "\n".join(part for part in (head, body) if part).strip()
    if not text:
        await _say(update, context, "usage_broadcast")
        return
    now = datetime.now(timezone.utc)
    queued = await asyncio.to_thread(queue_broadcast, _engine(context).store, text, now)
    logger.info("admin %s: broadcast queued for %d users", update.effective_user.id, queued)  # type: ignore[union-attr]
    await _say(update, context, "queued", n=queued)
    # In the background: a broadcast to many users must not hold up everyone else's updates.
    context.application.create_task(outbox.deliver_pending(context.application, now=now), update=update)


# (command, handler), registered for private chats in `build_application`, never in the menu
HANDLERS: tuple[tuple[str, Handler], ...] = (
    ("reload", reload_command),
    ("add_question", add_question),
    ("set_answer", set_answer),
    ("edit_question", edit_question),
    ("broadcast", broadcast),
)
