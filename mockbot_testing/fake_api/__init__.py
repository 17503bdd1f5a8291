"""A fake Telegram Bot API server on 127.0.0.1, for running the real python-telegram-bot against.

`FakeBotApi` serves the Bot API over real HTTP (stdlib asyncio, HTTP/1.1 keep-alive) in a
background thread with its own event loop, so it works from plain synchronous pytest code and next
to a PTB `Application` running in another thread or loop::

    with FakeBotApi() as fake:
        app = fake.application_builder().build()          # token, base_url, base_file_url set
        app.add_handler(CommandHandler("start", start))
        with ApplicationThread(app):                         # initialize, start, start_polling
            fake.send_text(chat_id=42, user_id=42, text="/start")
            reply = fake.wait_for(lambda c: c.method == "sendMessage" and c.chat_id == 42)

What it does, like Telegram does it:

* URLs are `base_url + token + "/" + method` (PTB appends the token to `base_url`); a request with
  another token answers 401 Unauthorized, an unknown method 404 "Not Found: method not found";
  method names are case-insensitive. Bodies may be JSON, form-encoded (what PTB sends: every value
  is a string, non-string values JSON-encoded) or multipart/form-data (uploads), and parameters
  may also come in the query string.
* Answers use the envelope `{"ok": true, "result": ...}` / `{"ok": false, "error_code": ...,
  "description": ...}` with realistic objects: a sent `Message` has a `message_id` counted per
  chat (shared with the users' messages in that chat), an integer `date`, the `chat`, `from` (the
  bot), `text`, the inline keyboard echoed as `reply_markup`, and `reply_to_message` when a
  reply was asked for.
* `getUpdates` long-polls: it waits up to `timeout` seconds for an update, honours `offset`
  (updates with a smaller id are confirmed and dropped; a negative offset keeps only the last
  ones), `limit` and `allowed_updates`; a newer `getUpdates` ends an older waiting one with 409
  Conflict ("terminated by other getUpdates request"), so two instances polling with one token
  keep ending each other's polls, and `getUpdates` while a webhook is set is 409 as well.
* Groups as Telegram has them: a user message has the `date` it was sent (`date=`: one sent
  earlier and delivered late); a forum (`add_topic`) has topics, a message in one carries its
  `message_thread_id` and `is_topic_message` (and replies to the topic's first message unless it
  replies to another), and a send to a topic that does not exist is 400 "message thread not
  found"; a member may speak as a chat (`send_as_chat`: a channel, or the group itself for an
  anonymous admin, with `sender_chat` and Telegram's stand-in `from`); a group upgraded to a
  supergroup (`migrate_group`) has a new id, the service messages `migrate_to_chat_id` and
  `migrate_from_chat_id`, and every call naming the old id answers 400 "group chat was upgraded
  to a supergroup chat" with `parameters.migrate_to_chat_id`.
* Some of Telegram's 400s, because real bots hit them: empty or over-long texts (4096) and
  captions (1024), counted as Telegram counts them: in UTF-16 code units of the text after
  entity parsing (𝑥 counts two, `&amp;` one, tags nothing); unsupported or unbalanced tags with
  `parse_mode="HTML"` (`validate_html`),
  editing a message that does not exist, is not the bot's, or would not change ("message is not
  modified"), replying to a missing message, answering an unknown or already answered callback
  query or one pressed `too_old` ("query is too old"), callback data over 64 bytes
  ("BUTTON_DATA_INVALID"), invalid bot commands.

Methods: getMe, getUpdates, deleteWebhook, setWebhook, getWebhookInfo, setMyCommands,
getMyCommands, deleteMyCommands, sendMessage, sendPhoto, editMessageText, editMessageReplyMarkup,
answerCallbackQuery, sendChatAction, getChatMember, getChat, and also deleteMessage and getFile
(files are served under `base_file_url`).

Recording: every call the bot makes that is answered ok is a `SentCall` in `calls` (getUpdates is
not recorded: a poll, i.e. a getUpdates with an `offset` as a polling loop sends, only counts in
`poll_count`; a look without one, which confirms nothing, is not counted); the ok sendMessage,
sendPhoto and editMessageText calls are also in `sent`; calls answered with an error (injected
429/5xx, 400s, unknown methods) are in `rejected` instead. Lists are appended to under a lock and only ever grow until `clear()`.

Fault injection: `fail_next(method, times=, status=, retry_after=)`, `flood_rate` (a seeded share
of sendMessage/sendPhoto answered 429 with `flood_retry_after`), `group_limit` (Telegram's flood
limit for groups: more than this many sendMessage/sendPhoto to one group within 60 s are answered
429 with the seconds until a slot frees up; off by default), and `delay` (seconds added to every
answer, after the call took effect: a client that times out may still have sent the message, as
with Telegram).

`ApplicationThread` runs a PTB `Application` (initialize, post_init, start, start_polling; and
updater.stop, stop, post_stop, shutdown, post_shutdown) in a thread with its own event loop.

The parts: `server` (`FakeBotApi`: the HTTP layer and the server's lifecycle), `wire` (request
bodies and answer envelopes), `methods` (the Bot API methods), `chats` (the chat model: chats,
users, messages, files), `content` (Telegram's rules for texts, HTML and keyboards), `users` (what
users do), `updates` (the update queue and getUpdates), `recording` (the recorded calls), `faults`
(failure injection), `state` and `records` (what the server keeps), `application`
(`ApplicationThread`).
"""

from .application import ApplicationThread
from .records import SentCall
from .server import FakeBotApi
from .state import DEFAULT_TOKEN

__all__ = ["FakeBotApi", "SentCall", "ApplicationThread", "DEFAULT_TOKEN"]
