"""The Telegram front-end: one short handler per command or button, all wired in `build_application`.

Handlers parse the update, call the practice engine (in a worker thread: grading and storage are
blocking) and send its replies. State lives in the engine's store, never in `user_data`. Every Bot
API call goes through the one send policy of `send` (retries, flood control, 4xx never repeated).
Updates of different chats are handled at once, the updates of one chat in order (`ordering`).
Several worker processes may share one PostgreSQL database (`shared=True`): then each chat's order,
the duplicate-update guard, the timers and the send budget live in the database (`coordination`).

`mockbot run` polls only if no other instance polls with the same token: before doing anything it
listens for `CONFLICT_PROBE` seconds, and a 409 Conflict in that time (the other instance's next
poll ends this one's, as Telegram does) stops it with one log line and exit status 1.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from telegram import (
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import Conflict, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from grading.i18n import N_, _, in_every_language

from ..engine import Action, PracticeEngine, Reply, ReplyKind
from ..engine.texts import LANGUAGES, t
from ..storage import JobRecord, StorageError
from . import admin, answers, buttons, coordination, daily, decks, group, outbox, send
from .answers import ANSWER_WINDOW
from .ordering import ChatOrder, SharedChatOrder
from .ratelimit import PacedRateLimiter, SharedRateLimiter
from .send import send_replies, user_key

__all__ = ["build_application", "COMMANDS", "CONFLICT_PROBE", "ANSWER_WINDOW", "SecondInstance"]

logger = logging.getLogger(__name__)

COMMANDS = {  # Telegram's command menu, in its order: command -> the catalog's message describing it
    "question": N_("command.question"),
    "topics": N_("command.topics"),
    "decks": N_("command.decks"),
    "daily": N_("command.daily"),
    "stats": N_("command.stats"),
    "hint": N_("command.hint"),
    "answer": N_("command.answer"),
    "skip": N_("command.skip"),
    "lang": N_("command.lang"),
    "forget": N_("command.forget"),
    "help": N_("command.help"),
}
_ZONES = ("Asia/Shanghai", "Asia/Singapore", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles")
_TIMES = ("08:00", "12:30", "21:00")


def _help_text(language: str) -> str:
    """/help: what the bot does, then the menu's commands, one a line."""
    lines = [f"/{command} — {_(msgid, language)}" for command, msgid in COMMANDS.items()]
    return "\n".join([_("telegram.help", language), *lines])


def _engine(context: ContextTypes.DEFAULT_TYPE) -> PracticeEngine:
    return context.application.bot_data["engine"]


async def _call(context: ContextTypes.DEFAULT_TYPE, method: str, *args: object, **kwargs: object):  # noqa: ANN202
    """Run a (blocking) engine method in a worker thread."""
    return await asyncio.to_thread(getattr(_engine(context), method), *args, **kwargs)


async def _send(update: Update, context: ContextTypes.DEFAULT_TYPE, replies: Sequence[Reply]) -> None:
    await send_replies(context.bot, update.effective_chat.id, replies)  # type: ignore[union-attr]


async def _say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer the update's message with a plain text (and a keyboard), under the send policy."""
    await send.reply_text(update.effective_message, text, reply_markup=markup)  # type: ignore[arg-type]


async def _language(context: ContextTypes.DEFAULT_TYPE, key: str) -> str:
    return await _call(context, "language", key)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet the user and ask for the language (onboarding: language, topics, time zone, daily time)."""
    row = [InlineKeyboardButton(_("language_name", language), callback_data=f"lang:{language}") for language in LANGUAGES]
    await _say(update, in_every_language("telegram.choose_language"), InlineKeyboardMarkup([row]))


def _topics_keyboard(engine: PracticeEngine, key: str, language: str) -> InlineKeyboardMarkup:
    chosen = set(engine.store.user(key).topics)
    rows = [
        [InlineKeyboardButton(("✅ " if topic.id in chosen else "") + topic.name(language), callback_data=f"topic:{topic.id}")]
        for topic in engine.taxonomy.topics
    ]
    rows.append([InlineKeyboardButton(_("telegram.button_done", language), callback_data="topic:done")])
    return InlineKeyboardMarkup(rows)


async def onboarding_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle the onboarding keyboards: lang:…, topic:…, tz:…, at:…"""
    query = update.callback_query
    await send.answer_query(query)
    key = user_key(update)
    engine = _engine(context)
    kind, _colon, value = query.data.partition(":")  # type: ignore[union-attr]
    if kind == "lang":
        await _call(context, "set_language", key, value)
        await send.call(query.edit_message_text, _("telegram.onboard_topics", value), reply_markup=_topics_keyboard(engine, key, value))  # type: ignore[union-attr]
        return
    language = await _language(context, key)
    if kind == "topic" and value != "done":
        chosen = list(engine.store.user(key).topics)
        chosen = [x for x in chosen if x != value] if value in chosen else chosen + [value]
        await _call(context, "set_topics", key, chosen)
        await send.call(query.edit_message_reply_markup, _topics_keyboard(engine, key, language))  # type: ignore[union-attr]
    elif kind == "topic":
        zones = [[InlineKeyboardButton(zone, callback_data=f"tz:{zone}")] for zone in _ZONES]
        await send.call(query.edit_message_text, _("telegram.onboard_zone", language), reply_markup=InlineKeyboardMarkup(zones))  # type: ignore[union-attr]
    elif kind == "tz":
        await asyncio.to_thread(engine.store.update_user, key, timezone=value)
        times = [[InlineKeyboardButton(x, callback_data=f"at:{x}") for x in _TIMES], [InlineKeyboardButton(_("telegram.button_no_daily", language), callback_data="at:off")]]
        await send.call(query.edit_message_text, _("telegram.onboard_daily", language), reply_markup=InlineKeyboardMarkup(times))  # type: ignore[union-attr]
    elif kind == "at":
        reply = await _call(context, "unsubscribe" if value == "off" else "subscribe", key, *(() if value == "off" else (value,)))
        await send.call(query.edit_message_text, reply.text)  # type: ignore[union-attr]
        await daily.reschedule(context.application, key)
        await _send(update, context, [await _call(context, "resume", key) or await _call(context, "next_question", key)])


async def question(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/question [topic]: ask a question."""
    topic = " ".join(context.args) if context.args else None
    await _send(update, context, [await _call(context, "next_question", user_key(update), topic)])


_QUESTION_ID = re.compile(r"\[([A-Za-z0-9_-]+)\]\s*$")  # the end of a question's first line: "… [000-93d25c]"


def replied_question(message: Message | None, bot_id: int) -> str | None:
    """The id of the question the user's message replies to, if it replies to one of ours."""
    target = message.reply_to_message if message else None
    if target is None or target.from_user is None or target.from_user.id != bot_id or not target.text:
        return None
    for line in target.text.splitlines()[:3]:  # a resumed question has a line before its header
        if found := _QUESTION_ID.search(line):
            return found.group(1)
    return None


async def answer_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A text message in a private chat: (part of) the answer to the open question (see `answers`)."""
    message = update.effective_message
    replying_to = replied_question(message, context.bot.id)
    chat_id = update.effective_chat.id  # type: ignore[union-attr]
    await answers.answer(context.application, user_key(update), chat_id, message.text or "", replying_to, update=update)  # type: ignore[union-attr]


def _action_command(action: Action):  # noqa: ANN202 - a handler
    async def handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await _send(update, context, await _call(context, "press", user_key(update), action))

    handler.__doc__ = f"/{action.value}: the same as its button."
    return handler


async def topics(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/topics: choose topics with a keyboard."""
    key = user_key(update)
    language = await _language(context, key)
    markup = await asyncio.to_thread(_topics_keyboard, _engine(context), key, language)
    await _say(update, _("telegram.onboard_topics", language), markup)


async def daily_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/daily HH:MM [Area/City] or /daily off."""
    key = user_key(update)
    args = context.args or []
    if args[:1] == ["off"]:
        reply = await _call(context, "unsubscribe", key)
    elif args:
        reply = await _call(context, "subscribe", key, args[0], args[1] if len(args) > 1 else None)
    else:
        reply = Reply(ReplyKind.INFO, _help_text(await _language(context, key)))
    await daily.reschedule(context.application, key)
    await _send(update, context, [reply])


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: the chart as a photo and the numbers."""
    await _send(update, context, [await _call(context, "stats", user_key(update))])


async def lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/lang zh|en."""
    value = (context.args or [""])[0]
    await _send(update, context, [await _call(context, "set_language", user_key(update), value)])


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: what the bot understands."""
    await _say(update, _help_text(await _language(context, user_key(update))))


async def not_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Stickers, photos, voice (files go to the deck handlers): say kindly that only text is read."""
    await _say(update, _("telegram.not_text", await _language(context, user_key(update))))


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message: not graded again (the first version was)."""
    await send.send_text(context.bot, update.effective_chat.id, _("telegram.edited", await _language(context, user_key(update))))  # type: ignore[union-attr]


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not know."""
    await _say(update, _("telegram.unknown_command", await _language(context, user_key(update))))


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/forget: ask to confirm, then delete everything stored about this chat."""
    language = await _language(context, user_key(update))
    markup = InlineKeyboardMarkup([[InlineKeyboardButton(t("forget_yes", language), callback_data="forget:yes")]])
    await _say(update, t("forget_confirm", language), markup)


async def forget_confirmed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The confirmation button of /forget."""
    await send.answer_query(update.callback_query)
    key = user_key(update)
    reply = await _call(context, "forget", key)
    await daily.reschedule(context.application, key)  # no subscription left: the job goes
    await send.call(update.callback_query.edit_message_text, reply.text)  # type: ignore[union-attr]


_SEEN_KEEP = 10_000


async def drop_duplicates(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Handle each update id once: Telegram may deliver one twice after a network hiccup. (Workers
    sharing a database keep the handled ids there, once handled: `ordering.SharedChatOrder`.)"""
    if coordination.coordination_of(context.application) is not None:
        return
    seen = context.application.bot_data.setdefault("seen_updates", {})
    if update.update_id in seen:
        raise ApplicationHandlerStop
    seen[update.update_id] = None
    if len(seen) > _SEEN_KEEP:
        for old in list(seen)[: len(seen) - _SEEN_KEEP]:
            del seen[old]


CONFLICT_LOG_EVERY = 60.0  # seconds: a 409 while polling is logged at most this often


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log errors (never the token: PTB's messages do not contain it). Polling errors that are
    conditions rather than bugs (409 from another poller, the network) take one line each."""
    error = context.error
    if isinstance(error, Conflict):
        now = asyncio.get_running_loop().time()
        last = context.application.bot_data.get("conflict_logged")
        if last is None or now - last >= CONFLICT_LOG_EVERY:
            context.application.bot_data["conflict_logged"] = now
            logger.error("409 from Telegram: %s (is another instance running with this token?)", error)
    elif update is None and context.job is None and isinstance(error, NetworkError):  # from polling
        logger.warning("polling for updates failed: %s", error)
    elif (isinstance(update, Update) and isinstance(error, StorageError)
          and (shared := coordination.coordination_of(context.application)) is not None):
        # The database was busy or away: the update stays unconfirmed and Telegram sends it again,
        # so this is a condition, not a bug (one line).
        shared.unconfirmed.add(update.update_id)
        logger.warning("update %d not handled, Telegram will send it again: %s", update.update_id, error)
    else:
        logger.error("error while handling an update", exc_info=error)


RETENTION_EVERY = 6 * 3600.0  # seconds between passes that blank answers past privacy.answer_retention_days


SEEN_UPDATES_KEPT = timedelta(days=1)  # how long workers sharing a database remember handled update ids
_RETENTION = "retention"  # the retention pass's job (kind and name) when workers share a database


async def _retention(context: ContextTypes.DEFAULT_TYPE) -> None:
    blanked = await _call(context, "apply_retention")
    if blanked:
        logger.info("retention: blanked the text of %d old answers", blanked)


async def _retention_job(application: Application, jobs: list[JobRecord]) -> None:
    """The retention pass of workers sharing a database (one of them runs it), and the next one's
    schedule; handled update ids are forgotten after `SEEN_UPDATES_KEPT`."""
    engine: PracticeEngine = application.bot_data["engine"]
    now = datetime.now(timezone.utc)
    blanked = await asyncio.to_thread(engine.apply_retention)
    if blanked:
        logger.info("retention: blanked the text of %d old answers", blanked)
    await asyncio.to_thread(engine.store.forget_seen_updates, now - SEEN_UPDATES_KEPT)
    await asyncio.to_thread(engine.store.schedule_job, _RETENTION, _RETENTION, now + timedelta(seconds=RETENTION_EVERY))


CONFLICT_PROBE = 2  # seconds `mockbot run` listens for another poller before it starts (a whole number: Telegram's unit)
SECOND_INSTANCE_EXIT = 1  # exit status of an instance that found another one polling
_POLLING = "polls"  # bot_data: set by `run_polling` (the probe is for polling, not webhooks)


class SecondInstance(RuntimeError):
    """Another instance polls Telegram with the same token."""


async def _probe_for_another_poller(application: Application) -> None:
    """Raise `SecondInstance` if another instance is polling with this token (see the module's
    docstring). The probe confirms no update: one it gets is delivered again to the next poll."""
    try:
        await application.bot.get_updates(timeout=CONFLICT_PROBE, limit=1)
    except Conflict as exc:
        if "webhook" in exc.message.lower():
            return  # a webhook left from a webhook-mode run: polling deletes it, no one else polls
        logger.error("another instance is polling Telegram with this token (409 %s); "
                     "stopping before doing anything: run one instance per token", exc.message)
        raise SecondInstance(exc.message) from None
    except TelegramError as exc:  # the network: polling's own start-up reports it
        logger.debug("probe for another poller failed: %s", exc)


class _Application(Application):
    """PTB's `Application`; `run_polling` first makes sure no other instance polls (exit 1 if one does)."""

    def run_polling(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        """`Application.run_polling`, stopping with `SECOND_INSTANCE_EXIT` if another instance polls."""
        self.bot_data[_POLLING] = True
        try:
            super().run_polling(*args, **kwargs)  # type: ignore[arg-type]
        except SecondInstance:
            raise SystemExit(SECOND_INSTANCE_EXIT) from None


async def _post_init(application: Application) -> None:
    """Make sure no other instance polls, register the command menu, rebuild the jobs from the database."""
    if application.bot_data.get(_POLLING):
        await _probe_for_another_poller(application)
    for language in LANGUAGES:
        commands = [BotCommand(command, _(msgid, language)) for command, msgid in COMMANDS.items()]
        try:
            await send.call(application.bot.set_my_commands, commands, language_code=language)
        except TelegramError as exc:  # the menu is a nicety: never fail start-up on it
            logger.warning("could not set the command menu: %s", exc)
    shared = coordination.coordination_of(application)
    if shared is not None:
        shared.on(answers.JOB_KIND, answers.run_jobs)
        shared.on(_RETENTION, _retention_job)
        if await shared.job(_RETENTION) is None:
            await asyncio.to_thread(shared.store.schedule_job, _RETENTION, _RETENTION, datetime.now(timezone.utc))
    await daily.restore(application, now=datetime.now(timezone.utc))
    if shared is None:
        application.job_queue.run_repeating(_retention, interval=RETENTION_EVERY, first=0, name="retention")
    await group.restore_rounds(application)
    if shared is not None:
        await shared.start()  # every kind's handler is known by now


async def _post_stop(application: Application) -> None:
    """Workers sharing a database: hand the jobs this one still claims to the others."""
    shared = coordination.coordination_of(application)
    if shared is not None:
        await shared.stop()


def build_application(
    engine: PracticeEngine,
    token: str,
    *,
    base_url: str | None = None,
    rate_limit: bool = True,
    admins: Iterable[int] = (),
    bank_dir: Path | None = None,
    answer_window: float = ANSWER_WINDOW,
    shared: bool = False,
) -> Application:
    """The wired PTB application (polling or webhook is the caller's choice).

    `admins` are the Telegram user ids allowed to use the admin commands; `bank_dir` is the folder
    they edit and reload the bank from (default: the folder of the engine's bank files);
    `answer_window` is how close together messages must be to count as one answer (0: never joined);
    `shared`: this is one of several workers sharing the engine's (PostgreSQL) database.
    """
    builder = ApplicationBuilder().application_class(_Application).token(token)
    builder = builder.post_init(_post_init).post_stop(_post_stop)
    if base_url:
        builder = builder.base_url(base_url).base_file_url(base_url.replace("/bot", "/file/bot"))
    if rate_limit:
        builder = builder.rate_limiter(SharedRateLimiter(engine.store, max_retries=5) if shared else PacedRateLimiter(max_retries=5))
    if shared:  # the processor needs the application's coordination: set below, before any update
        processor = SharedChatOrder(None)  # type: ignore[arg-type]
        builder = builder.concurrent_updates(processor)
    else:
        builder = builder.concurrent_updates(ChatOrder())  # chats at once, each chat's updates in order
    application = builder.build()
    if shared:
        processor.coordination = coordination.install(application, engine.store)
    application.bot_data["engine"] = engine
    application.bot_data["admins"] = frozenset(admins)
    application.bot_data["bank_dir"] = bank_dir
    application.bot_data[answers.WINDOW_KEY] = answer_window
    application.bot_data[outbox.ON_CHAT_GONE] = daily.chat_gone  # a chat found gone loses its daily job
    private = filters.ChatType.PRIVATE
    decks.add_handlers(application)  # before the catch-all handlers below
    application.add_handler(CommandHandler("start", start, filters=private))
    application.add_handler(CommandHandler("question", question, filters=private))
    application.add_handler(CommandHandler("topics", topics, filters=private))
    application.add_handler(CommandHandler("daily", daily_command, filters=private))
    application.add_handler(CommandHandler("stats", stats, filters=private))
    application.add_handler(CommandHandler("lang", lang, filters=private))
    application.add_handler(CommandHandler("help", help_command))
    for action in (Action.HINT, Action.ANSWER, Action.SKIP):
        application.add_handler(CommandHandler(action.value, _action_command(action), filters=private))
    for command, handler in admin.HANDLERS:  # not in the public menu (COMMANDS)
        application.add_handler(CommandHandler(command, handler, filters=private))
    groups = filters.ChatType.GROUPS
    application.add_handler(CommandHandler("mock", group.mock, filters=groups))
    application.add_handler(CommandHandler("mock_stop", group.mock_stop, filters=groups))
    application.add_handler(MessageHandler(groups & filters.TEXT & filters.REPLY & ~filters.COMMAND, group.group_reply))
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, group.chat_migrated))
    application.add_handler(TypeHandler(Update, answers.flush_before_update), group=-2)
    application.add_handler(TypeHandler(Update, drop_duplicates), group=-1)
    application.add_handler(CommandHandler("forget", forget, filters=private))
    application.add_handler(CallbackQueryHandler(forget_confirmed, pattern=r"^forget:yes$"))
    application.add_handler(CallbackQueryHandler(onboarding_button, pattern=r"^(lang|topic|tz|at):"))
    application.add_handler(CallbackQueryHandler(buttons.button))
    application.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, edited))
    application.add_handler(MessageHandler(private & filters.COMMAND, unknown_command))
    application.add_handler(MessageHandler(private & filters.TEXT, answer_text))
    application.add_handler(MessageHandler(private & ~filters.TEXT, not_text))
    application.add_error_handler(error_handler)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return application
