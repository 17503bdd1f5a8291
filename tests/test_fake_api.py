"""The fake Bot API server against the real python-telegram-bot, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dtm
import struct
import threading
import time
import zlib
from collections.abc import Iterator

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    ChatMemberAdministrator,
    ChatMemberMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from mockbot_testing.fake_api import ApplicationThread, FakeBotApi, SentCall

# PTB 22 warns about int durations (retry_after, voice.duration) becoming timedeltas, even from
# inside its own RetryAfter and AIORateLimiter.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

CHAT = 4242
USER = 4242
GROUP = -1001234567890


def _png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def _seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


@pytest.fixture(autouse=True)
def _no_leftover_threads() -> Iterator[None]:
    yield
    deadline = time.monotonic() + 5
    names = {"FakeBotApi", "PTB-Application"}
    while any(t.name in names for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [t.name for t in threading.enumerate() if t.name in names]


@pytest.fixture
def fake() -> Iterator[FakeBotApi]:
    with FakeBotApi() as server:
        yield server


def _keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([
        [InlineKeyboardButton("Easy", callback_data="level:easy"),
         InlineKeyboardButton("Hard", callback_data="level:hard")],
    ])


# ------------------------------------------------------------------ plain Bot calls


def test_get_me_returns_the_bot(fake: FakeBotApi) -> None:
    assert fake.base_url == f"http://127.0.0.1:{fake.port}/bot"

    async def main() -> tuple[object, object]:
        async with fake.bot() as bot:  # initialize() calls getMe too
            return await bot.get_me(), bot.bot

    me, cached = asyncio.run(main())
    assert me.id == 123456 and me.is_bot and me.username == "mockbot_test_bot"
    assert cached == me
    assert [call.method for call in fake.calls] == ["getMe", "getMe"]


def test_send_message_records_text_and_reply_markup(fake: FakeBotApi) -> None:
    async def main() -> list:
        async with fake.bot() as bot:
            first = await bot.send_message(CHAT, "Question 1?", reply_markup=_keyboard())
            second = await bot.send_message(CHAT, "Question 2?")
            other = await bot.send_message(CHAT + 1, "Hi")
            reply = await bot.send_message(CHAT, "Noted", reply_to_message_id=first.message_id)
            return [first, second, other, reply]

    first, second, other, reply = asyncio.run(main())
    assert (first.message_id, second.message_id, reply.message_id) == (1, 2, 3)
    assert other.message_id == 1  # counted per chat
    assert first.reply_markup == _keyboard() and second.reply_markup is None
    assert first.chat.id == CHAT and first.chat.type == "private"
    assert first.from_user.is_bot and first.from_user.id == 123456
    assert isinstance(first.date, dtm.datetime)
    assert reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == first.message_id
    assert reply.reply_to_message.text == "Question 1?"

    assert [call.text for call in fake.sent] == ["Question 1?", "Question 2?", "Hi", "Noted"]
    call = fake.sent[0]
    assert call.method == "sendMessage" and call.chat_id == CHAT and call.message_id == 1
    assert call.params["reply_markup"] == _keyboard().to_dict()
    assert call.buttons == [("Easy", "level:easy"), ("Hard", "level:hard")]
    assert [c.text for c in fake.messages_to(CHAT)] == ["Question 1?", "Question 2?", "Noted"]
    assert fake.message(CHAT, 1)["reply_markup"] == _keyboard().to_dict()


def test_send_photo_keeps_the_png_bytes(fake: FakeBotApi) -> None:
    png = _png(3, 2)

    async def main():  # noqa: ANN202
        async with fake.bot() as bot:
            return await bot.send_photo(CHAT, png, caption="Your progress")

    message = asyncio.run(main())
    assert message.caption == "Your progress"
    assert (message.photo[-1].width, message.photo[-1].height) == (3, 2)
    [call] = fake.sent
    assert call.method == "sendPhoto" and call.photo == png and call.text == "Your progress"
    assert "photo" not in call.params


def test_a_wrong_token_is_rejected(fake: FakeBotApi) -> None:
    async def main() -> None:
        bot = Bot("999999:WRONG-TOKEN", base_url=fake.base_url)
        with pytest.raises(InvalidToken):
            await bot.get_me()
        with pytest.raises(InvalidToken):
            await bot.initialize()
        await bot.shutdown()

    asyncio.run(main())
    response = httpx.post(f"{fake.base_url}999999:WRONG-TOKEN/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert fake.calls == []


def test_unknown_method_is_an_error(fake: FakeBotApi) -> None:
    async def main() -> None:
        async with fake.bot() as bot:
            with pytest.raises(EndPointNotFound):
                await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": CHAT})

    asyncio.run(main())
    response = httpx.post(f"{fake.base_url}{fake.token}/sendDice", data={"chat_id": CHAT})
    assert response.status_code == 404
    assert response.json() == {
        "ok": False, "error_code": 404, "description": "Not Found: method not found"}
    assert [call.method for call in fake.rejected] == ["sendTelepathy", "sendDice"]


def test_raw_http_bodies_json_form_and_query(fake: FakeBotApi) -> None:
    url = f"{fake.base_url}{fake.token}"
    with httpx.Client() as client:
        by_json = client.post(f"{url}/sendMessage", json={
            "chat_id": CHAT, "text": "json", "reply_markup": {"inline_keyboard": [[
                {"text": "A", "callback_data": "a"}]]}})
        by_form = client.post(f"{url}/SENDMESSAGE", data={"chat_id": str(CHAT), "text": "123"})
        by_query = client.get(f"{url}/sendMessage", params={"chat_id": CHAT, "text": "q"})
        empty = client.post(f"{url}/sendMessage", data={"chat_id": str(CHAT), "text": ""})
    assert by_json.json()["result"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "A"
    assert by_form.json()["result"]["text"] == "123"  # a text stays a string
    assert by_query.json()["ok"] is True
    assert empty.status_code == 400
    assert empty.json()["description"] == "Bad Request: message text is empty"
    assert [call.text for call in fake.sent] == ["json", "123", "q"]


def test_get_updates_returns_injected_updates_and_honours_offset(fake: FakeBotApi) -> None:
    first = fake.send_text(CHAT, USER, "/start", username="alice")
    fake.send_text(GROUP, USER, "/next@mockbot_test_bot please", first_name="Bob")
    fake.send_text(CHAT, USER, "my answer", reply_to_message_id=first)

    async def main() -> tuple:
        async with fake.bot() as bot:
            everything = await bot.get_updates(timeout=0)
            later = await bot.get_updates(offset=everything[1].update_id, timeout=0)
            assert fake.pending_updates == 2  # the first one is confirmed and dropped
            again = await bot.get_updates(offset=everything[1].update_id, limit=1, timeout=0)
            started = time.monotonic()
            none = await bot.get_updates(offset=everything[-1].update_id + 1, timeout=1)
            waited = time.monotonic() - started
            return everything, later, again, none, waited

    everything, later, again, none, waited = asyncio.run(main())
    assert [u.update_id for u in everything] == [1, 2, 3]
    start = everything[0].message
    assert start.text == "/start" and start.message_id == first
    assert start.from_user.username == "alice" and start.chat.type == "private"
    assert start.entities[0].type == "bot_command" and start.entities[0].length == 6
    group = everything[1].message
    assert group.chat.type == "supergroup" and group.chat.id == GROUP
    assert group.entities[0].length == len("/next@mockbot_test_bot")
    assert everything[2].message.reply_to_message.message_id == first
    assert [u.update_id for u in later] == [2, 3]
    assert [u.update_id for u in again] == [2]
    assert none == () and 0.9 <= waited < 3
    assert fake.pending_updates == 0


def test_long_polling_wakes_up_for_a_new_update(fake: FakeBotApi) -> None:
    timer = threading.Timer(0.2, fake.send_text, args=(CHAT, USER, "late"))

    async def main() -> tuple:
        async with fake.bot() as bot:
            timer.start()
            started = time.monotonic()
            updates = await bot.get_updates(timeout=5)
            return updates, time.monotonic() - started

    updates, waited = asyncio.run(main())
    timer.join()
    assert [u.message.text for u in updates] == ["late"]
    assert waited < 2


def test_a_newer_get_updates_ends_the_older_one(fake: FakeBotApi) -> None:
    async def main() -> None:  # two bots: one Bot's getUpdates connection pool holds one
        async with fake.bot() as first, fake.bot() as second:
            older = asyncio.create_task(first.get_updates(timeout=3))
            await asyncio.sleep(0.2)
            assert await second.get_updates(timeout=0) == ()
            with pytest.raises(Conflict):
                await older

    asyncio.run(main())


def test_a_duplicated_update_id_is_delivered_again(fake: FakeBotApi) -> None:
    fake.send_text(CHAT, USER, "once")

    async def main() -> tuple:
        async with fake.bot() as bot:
            [update] = await bot.get_updates(timeout=0)
            assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
            fake.push_update(update.to_dict(), update_id=update.update_id)
            fake.send_text(CHAT, USER, "twice")
            redelivered = await bot.get_updates(offset=update.update_id + 1, timeout=0)
            after = await bot.get_updates(offset=redelivered[-1].update_id + 1, timeout=0)
            return update, redelivered, after

    update, redelivered, after = asyncio.run(main())
    assert [(u.update_id, u.message.text) for u in redelivered] == [
        (update.update_id, "once"), (update.update_id + 1, "twice")]
    assert after == ()


def test_injected_media_edits_and_raw_updates_parse_in_ptb(fake: FakeBotApi) -> None:
    fake.send_sticker(CHAT, USER)
    photo = _png(4, 4)
    fake.send_photo(CHAT, USER, caption="my diagram", data=photo)
    fake.send_voice(CHAT, USER)
    fake.send_document(CHAT, USER, file_name="notes.pdf", mime_type="application/pdf")
    answer = fake.send_text(CHAT, USER, "gradient boosting")
    fake.edit_text(CHAT, USER, answer, "gradient boosting with shrinkage")
    fake.push_update({"my_chat_member": {
        "chat": {"id": GROUP, "type": "supergroup", "title": "Study group"},
        "from": {"id": USER, "is_bot": False, "first_name": "Alice"}, "date": int(time.time()),
        "old_chat_member": {"status": "left", "user": fake.bot_user},
        "new_chat_member": {"status": "member", "user": fake.bot_user}}})

    async def main() -> tuple:
        async with fake.bot() as bot:
            updates = await bot.get_updates(timeout=0)
            file = await bot.get_file(updates[1].message.photo[-1].file_id)
            return updates, bytes(await file.download_as_bytearray())

    updates, downloaded = asyncio.run(main())
    sticker, picture, voice, document, text, edited, member = updates
    assert sticker.message.sticker.emoji == "👍"
    assert picture.message.caption == "my diagram" and picture.message.photo[-1].width == 4
    assert downloaded == photo
    assert voice.message.voice.duration == 3
    assert document.message.document.file_name == "notes.pdf"
    assert text.message.text == "gradient boosting"
    assert edited.edited_message.text == "gradient boosting with shrinkage"
    assert edited.edited_message.message_id == answer and edited.edited_message.edit_date
    assert member.my_chat_member.new_chat_member.status == "member"
    assert all(isinstance(u, Update) for u in updates)


def test_chat_member_chat_commands_and_chat_action(fake: FakeBotApi) -> None:
    fake.admins[GROUP].add(7)
    fake.send_text(GROUP, 7, "hi", first_name="Carol")

    async def main() -> tuple:
        async with fake.bot() as bot:
            admin = await bot.get_chat_member(GROUP, 7)
            member = await bot.get_chat_member(GROUP, 8)
            chat = await bot.get_chat(GROUP)
            await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("quiz", "Quiz")])
            commands = await bot.get_my_commands()
            await bot.delete_my_commands()
            after = await bot.get_my_commands()
            with pytest.raises(BadRequest):
                await bot.set_my_commands([BotCommand("Bad-Name", "x")])
            assert await bot.send_chat_action(CHAT, "typing") is True
            info = await bot.get_webhook_info()
            return admin, member, chat, commands, after, info

    admin, member, chat, commands, after, info = asyncio.run(main())
    assert isinstance(admin, ChatMemberAdministrator) and admin.user.first_name == "Carol"
    assert isinstance(member, ChatMemberMember) and member.status == "member"
    assert chat.id == GROUP and chat.type == "supergroup"
    assert [c.command for c in commands] == ["start", "quiz"] and after == ()
    assert info.url == "" and info.pending_update_count == 1
    action = fake.wait_for(lambda c: c.method == "sendChatAction")
    assert action.chat_id == CHAT and action.params["action"] == "typing"


def test_edits_and_telegram_like_bad_requests(fake: FakeBotApi) -> None:
    async def main() -> None:
        async with fake.bot() as bot:
            message = await bot.send_message(CHAT, "Pick one", reply_markup=_keyboard())
            edited = await bot.edit_message_text("Picked", CHAT, message.message_id)
            assert edited.text == "Picked" and edited.reply_markup is None  # keyboard gone
            with pytest.raises(BadRequest, match="(?i)message is not modified"):
                await bot.edit_message_text("Picked", CHAT, message.message_id)
            with_keys = await bot.edit_message_reply_markup(CHAT, message.message_id,
                                                            reply_markup=_keyboard())
            assert with_keys.reply_markup == _keyboard()
            with pytest.raises(BadRequest, match="(?i)message to edit not found"):
                await bot.edit_message_text("x", CHAT, 999)
            with pytest.raises(BadRequest, match="(?i)can.t parse entities"):
                await bot.send_message(CHAT, "is 1 < 2?", parse_mode="HTML")
            html = await bot.send_message(CHAT, "<b>is 1 &lt; 2?</b>", parse_mode="HTML")
            assert html.text == "is 1 < 2?"
            with pytest.raises(BadRequest, match="(?i)message is too long"):
                await bot.send_message(CHAT, "x" * 4097)
            with pytest.raises(BadRequest, match="(?i)replied not found"):
                await bot.send_message(CHAT, "re", reply_to_message_id=999)

    asyncio.run(main())
    assert [c.text for c in fake.sent] == ["Pick one", "Picked", "<b>is 1 &lt; 2?</b>"]
    assert len(fake.rejected) == 5 and all(c.status == 400 for c in fake.rejected)


def test_lengths_are_counted_in_utf16_units_of_the_parsed_text(fake: FakeBotApi) -> None:
    async def main() -> None:
        async with fake.bot() as bot:
            await bot.send_message(CHAT, "𝑥" * 2048)  # 2048 characters, 4096 UTF-16 units: the limit
            with pytest.raises(BadRequest, match="(?i)message is too long"):
                await bot.send_message(CHAT, "𝑥" * 2049)  # 2049 characters but 4098 units
            await bot.send_message(CHAT, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")  # shows 4096
            with pytest.raises(BadRequest, match="(?i)caption is too long"):
                await bot.send_photo(CHAT, _png(), caption="𝜃" * 513)

    asyncio.run(main())
    assert [c.status for c in fake.rejected] == [400, 400] and len(fake.sent) == 2


def test_only_a_poll_with_an_offset_counts_as_polling(fake: FakeBotApi) -> None:
    async def main() -> None:
        async with fake.bot() as bot:
            await bot.get_updates(timeout=0)  # a look: confirms nothing
            assert fake.poll_count == 0
            await bot.get_updates(offset=0, timeout=0)  # what a polling loop sends
            assert fake.poll_count == 1

    asyncio.run(main())


# ------------------------------------------------------------------ fault injection


def test_fail_next_gives_retry_after_once(fake: FakeBotApi) -> None:
    fake.fail_next("sendMessage", retry_after=1)

    async def main() -> tuple:
        async with fake.bot() as bot:
            with pytest.raises(RetryAfter) as raised:
                await bot.send_message(CHAT, "hello")
            return raised.value, await bot.send_message(CHAT, "hello")

    error, message = asyncio.run(main())
    assert _seconds(error.retry_after) == 1
    assert message.text == "hello"
    assert [(c.method, c.status, c.error) for c in fake.rejected] == [
        ("sendMessage", 429, "Too Many Requests: retry after 1")]
    assert [c.text for c in fake.sent] == ["hello"]


def test_fail_next_with_a_server_error(fake: FakeBotApi) -> None:
    fake.fail_next("sendPhoto", times=2, status=502)

    async def main() -> None:
        async with fake.bot() as bot:
            for _ in range(2):
                with pytest.raises(NetworkError, match="Bad Gateway"):
                    await bot.send_photo(CHAT, _png())
            await bot.send_photo(CHAT, _png())

    asyncio.run(main())
    assert [c.status for c in fake.rejected] == [502, 502] and len(fake.sent) == 1
    response = httpx.post(f"{fake.base_url}{fake.token}/getMe")
    assert response.status_code == 200  # other methods are not affected


def test_flood_rate_rejects_a_seeded_share_and_nothing_is_lost(fake: FakeBotApi) -> None:
    fake.flood_rate = 0.3

    async def main() -> int:
        retries = 0
        async with fake.bot() as bot:
            for number in range(40):
                while True:
                    try:
                        await bot.send_message(CHAT, f"message {number}")
                        break
                    except RetryAfter:
                        retries += 1
        return retries

    retries = asyncio.run(main())
    assert 0 < retries == len(fake.rejected)
    assert [c.text for c in fake.sent] == [f"message {n}" for n in range(40)]
    assert {c.text for c in fake.rejected} <= {c.text for c in fake.sent}
    assert [c.message_id for c in fake.sent] == list(range(1, 41))


def test_delay_makes_the_client_time_out_after_the_call_took_effect(fake: FakeBotApi) -> None:
    fake.delay = 0.5

    async def main() -> None:
        async with fake.bot() as bot:
            with pytest.raises(TimedOut):
                await bot.send_message(CHAT, "slow", read_timeout=0.1)

    asyncio.run(main())
    assert [c.text for c in fake.sent] == ["slow"]


def test_wait_for_times_out_with_a_summary(fake: FakeBotApi) -> None:
    httpx.post(f"{fake.base_url}{fake.token}/sendMessage", data={"chat_id": 1, "text": "hi"})
    with pytest.raises(AssertionError, match=r"sendMessage chat=1 text='hi'"):
        fake.wait_for(lambda c: c.text == "bye", timeout=0.2)
    assert fake.wait_for(lambda c: c.text == "hi", timeout=0.2).chat_id == 1
    fake.clear()
    assert fake.calls == [] and fake.sent == [] and fake.messages_to(1) == []


# ------------------------------------------------------------------ a real PTB Application


async def _start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.effective_user is not None
    await update.message.reply_text(
        f"Hello {update.effective_user.first_name}! Pick a level:",
        reply_markup=_keyboard(), do_quote=True)


async def _level(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.message is not None
    await query.answer("Noted")
    await query.edit_message_text(f"{query.message.text} -> {query.data}")


def _application(fake: FakeBotApi) -> ApplicationThread:
    app = fake.application_builder().build()
    app.add_handler(CommandHandler("start", _start))
    app.add_handler(CallbackQueryHandler(_level, pattern=r"^level:"))
    return ApplicationThread(app, poll_interval=0.0, timeout=1)


def test_application_answers_start(fake: FakeBotApi) -> None:
    fake.fail_next("getUpdates", status=502)  # the updater's retry loop rides it out
    with _application(fake) as runner:
        asked = fake.send_text(CHAT, USER, "/start", first_name="Dana")
        reply = fake.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == CHAT)
        # A push from the test thread, on the application's own loop:
        pushed = runner.run(runner.application.bot.send_message(CHAT + 1, "Daily question"))
    assert pushed.text == "Daily question" and fake.messages_to(CHAT + 1)[0].message_id == 1
    assert [(c.method, c.status) for c in fake.rejected] == [("getUpdates", 502)]
    assert reply.text == "Hello Dana! Pick a level:"
    assert reply.params["reply_parameters"]["message_id"] == asked
    assert reply.buttons == [("Easy", "level:easy"), ("Hard", "level:hard")]
    assert reply.message_id == asked + 1
    assert fake.pending_updates == 0  # confirmed when the updater stopped
    assert {"getMe", "deleteWebhook"} <= {c.method for c in fake.calls}


def test_button_press_reaches_the_callback_query_handler(fake: FakeBotApi) -> None:
    with _application(fake):
        fake.send_text(CHAT, USER, "/start")
        question = fake.wait_for(lambda c: c.method == "sendMessage")
        query_id = fake.press_button(CHAT, USER, question.message_id, "level:hard")
        edited = fake.wait_for(lambda c: c.method == "editMessageText")
        answered = fake.wait_for(lambda c: c.method == "answerCallbackQuery")
    assert edited.text == "Hello Alice! Pick a level: -> level:hard"
    assert edited.message_id == question.message_id and edited.reply_markup is None
    assert answered.params["callback_query_id"] == query_id and answered.chat_id == CHAT
    assert answered.params["text"] == "Noted"
    assert [c.method for c in fake.messages_to(CHAT)] == ["sendMessage", "editMessageText"]


def test_application_rides_out_a_flood_wait_with_the_rate_limiter(fake: FakeBotApi) -> None:
    from telegram.ext import AIORateLimiter

    app = (fake.application_builder()
           .rate_limiter(AIORateLimiter(max_retries=2)).build())
    app.add_handler(CommandHandler("start", _start))
    fake.fail_next("sendMessage", retry_after=1)
    with ApplicationThread(app):
        fake.send_text(CHAT, USER, "/start")
        reply = fake.wait_for(lambda c: c.method == "sendMessage", timeout=10)
    assert reply.text.startswith("Hello Alice")
    assert len(fake.rejected) == 1 and len(fake.sent) == 1
    assert isinstance(reply, SentCall)


def test_stop_ends_a_waiting_long_poll_and_its_thread() -> None:
    fake = FakeBotApi()
    fake.start()
    outcome: list[object] = []

    def poll() -> None:
        try:
            outcome.append(httpx.post(f"{fake.base_url}{fake.token}/getUpdates",
                                      data={"timeout": "10"}, timeout=15))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.2)
    started = time.monotonic()
    fake.stop()
    poller.join(5)
    assert not poller.is_alive() and time.monotonic() - started < 3
    assert isinstance(outcome[0], httpx.HTTPError)  # the connection was closed, no answer
    assert not fake.running
