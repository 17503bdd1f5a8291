"""The practice buttons under questions, hints and feedback: 提示, 看答案, 跳过, 下一题, 追问, re-rate.

A button names its question (its callback data, see `render.callback_data`), and the engine acts on
that question or says it is closed: a button under an old message never acts on the question open
by then, and the second tap of a double tap does not act twice (see `PracticeEngine.press`).
Buttons sent before they named their question carry the bare action and act on the open question.

A press is answered first, to stop the client's spinner. Telegram refuses the answer of a press
that waited too long (400 "query is too old", e.g. the bot was down when it was pressed); the
press is acted on all the same, its result sent as ordinary messages as always.

The updates of one chat are handled one after the other (`ordering`), so the second press of a
double tap sees what the first did.
"""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ContextTypes

from ..engine import PracticeEngine
from . import send
from .render import Press, parse_callback, question_digest

__all__ = ["button", "question_named"]


def question_named(engine: PracticeEngine, press: Press) -> str | None:
    """The id of the question a press names: as given, or the bank's question with the digest
    given (a digest no question has any more is passed on: the engine finds no such question)."""
    if not press.by_digest or press.question is None:
        return press.question
    return next((q.id for q in engine.bank.questions if question_digest(q.id) == press.question), f"#{press.question}")


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A practice button (see the module's docstring); other callback data is ignored."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None:
        return
    await send.answer_query(query)  # a refused answer ("query is too old") is logged, and the press still acts
    press = parse_callback(query.data or "")
    if press is None:
        return
    engine: PracticeEngine = context.application.bot_data["engine"]
    key = send.user_key(update)
    question = question_named(engine, press)
    replies = await asyncio.to_thread(engine.press, key, press.action, question_id=question, step=press.step)
    await send.send_replies(context.bot, chat.id, replies)
