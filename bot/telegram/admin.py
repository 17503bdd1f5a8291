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

from grading.i18n import N_, _, in_every_language
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

ADMINS_ONLY = in_every_language("admin.admins_only")  # the sender's language may not be known

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


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, msgid: str, kind: ReplyKind = ReplyKind.INFO, **values: object) -> None:
    """Send the catalog's message `msgid` to the admin, in their language."""
    language = await asyncio.to_thread(_engine(context).language, send.user_key(update))
    text = _(msgid, language, **values)
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
    first, _newline, body = text.replace("\r\n", "\n").partition("\n")
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
        return N_("admin.empty_question") if exc.what == "question" else N_("admin.empty_answer"), {}
    if isinstance(exc, editing.UnknownTopic):
        return N_("admin.unknown_topic"), {"topic": exc.topic, "topics": ", ".join(exc.known)}
    if isinstance(exc, editing.UnknownQuestion):
        return N_("admin.unknown_id"), {"id": exc.question_id}
    if isinstance(exc, editing.DuplicateQuestion):
        return N_("admin.duplicate"), {"id": exc.existing_id}
    if isinstance(exc, editing.BrokenFile):
        return N_("admin.broken_file"), {"problems": "\n".join(editing.problem_lines(exc.problems, bank_dir))}
    return N_("admin.invalid"), {"reason": str(exc)}


async def _edit(update: Update, context: ContextTypes.DEFAULT_TYPE, done: str, change: Callable[..., Question], *args: object) -> None:
    """Run a bank edit in a worker thread, reload the bank, and say what happened (`done`: the
    catalog's message for a change made)."""
    bank_dir = _bank_dir(context)
    try:
        question = await asyncio.to_thread(change, bank_dir, *args)
    except (editing.EditError, OSError) as exc:  # OSError: the bank folder is not writable, …
        key, values = _refusal(exc, bank_dir)
        await _say(update, context, key, ReplyKind.ERROR, **values)
        return
    logger.info("admin %s: %s %s", update.effective_user.id, done.removeprefix("admin."), question.id)  # type: ignore[union-attr]
    problems = await _reload(context)
    if problems:
        await _say(update, context, "admin.saved_not_reloaded", ReplyKind.ERROR, id=question.id, problems="\n".join(problems))
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
        await _say(update, context, "admin.reload_failed", ReplyKind.ERROR, count=len(bank.questions), problems="\n".join(problems))
        return
    await _say(update, context, "admin.reloaded", count=len(bank.questions), answered=sum(q.answered for q in bank.questions))


@admin_only
async def add_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/add_question <topic>, then the question, optionally `---` and the reference answer."""
    topic, body = _arguments(update)
    if not topic:
        await _say(update, context, "admin.usage_add")
        return
    question, answer = editing.split_question_and_answer(body)
    await _edit(update, context, "admin.added", editing.add_question, _engine(context).taxonomy, topic, question, answer)


@admin_only
async def set_answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/set_answer <id>, then the reference answer (Markdown): fills in or replaces it."""
    question_id, answer = _id_and_text(update)
    if not question_id:
        await _say(update, context, "admin.usage_set")
        return
    await _edit(update, context, "admin.answer_set", editing.set_answer, question_id, answer, _engine(context).taxonomy)


@admin_only
async def edit_question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/edit_question <id>, then the new question text."""
    question_id, text = _id_and_text(update)
    if not question_id:
        await _say(update, context, "admin.usage_edit")
        return
    await _edit(update, context, "admin.reworded", editing.reword_question, question_id, text, _engine(context).taxonomy)


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
        await _say(update, context, "admin.usage_broadcast")
        return
    now = datetime.now(timezone.utc)
    queued = await asyncio.to_thread(queue_broadcast, _engine(context).store, text, now)
    logger.info("admin %s: broadcast queued for %d users", update.effective_user.id, queued)  # type: ignore[union-attr]
    await _say(update, context, "admin.queued", n=queued)
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
