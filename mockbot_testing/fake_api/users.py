"""What users do, as the fake Bot API server delivers it to the bot: write a text (also as a
channel or an anonymous admin), a sticker, a photo, a voice, a document; edit a message; press an
inline button; open a forum topic; upgrade a group to a supergroup. Each returns the id of what it
made (a message, a callback query) and queues the update Telegram would send."""

from __future__ import annotations

import copy
import time
from typing import Any

from .content import text_content, without_reply
from .updates import UpdateQueue

__all__ = ["UserActions"]

# Telegram's stand-in authors of messages sent as a chat: by a channel, by an anonymous admin.
_CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel",
                "username": "Channel_Bot"}
_ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                    "username": "GroupAnonymousBot"}


class UserActions(UpdateQueue):
    """What users do (see the module's docstring)."""

    def send_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        first_name: str = "Alice",
        username: str | None = None,
        chat_type: str | None = None,
        reply_to_message_id: int | None = None,
        thread_id: int | None = None,
        date: int | None = None,
    ) -> int:
        """A user writes `text` (a "/command" gets its bot_command entity); returns the
        message_id of the user's message. `thread_id`: in that forum topic (see `add_topic`);
        `date`: sent at that Unix time (default: now), e.g. sent earlier and delivered late."""
        return self._user_message(
            chat_id, user_id, text_content(text), first_name=first_name, username=username,
            chat_type=chat_type, reply_to_message_id=reply_to_message_id, thread_id=thread_id,
            date=date,
        )

    def send_as_chat(
        self,
        chat_id: int,
        sender_chat_id: int,
        text: str,
        *,
        title: str | None = None,
        signature: str | None = None,
        reply_to_message_id: int | None = None,
        thread_id: int | None = None,
        date: int | None = None,
    ) -> int:
        """A member writes `text` in the group `chat_id` as a chat, as Telegram lets them: as a
        channel (`sender_chat_id` another chat, a "channel" named `title`; `from` is Telegram's
        Channel_Bot), or as the group itself, i.e. an anonymous admin (`sender_chat_id ==
        chat_id`; `from` is GroupAnonymousBot, `signature` the admin's title as
        `author_signature`). Returns the message_id."""
        with self._lock:
            if sender_chat_id == chat_id:
                sender = self._chat_json(chat_id)
                author = _ANONYMOUS_ADMIN
            else:
                sender = {"id": sender_chat_id, "type": "channel",
                          "title": title or f"Channel {abs(sender_chat_id)}"}
                author = _CHANNEL_BOT
        extra: dict[str, Any] = {"sender_chat": sender}
        if signature:
            extra["author_signature"] = signature
        return self._user_message(
            chat_id, author["id"], {**text_content(text), **extra}, author=author,
            reply_to_message_id=reply_to_message_id, thread_id=thread_id, date=date,
        )

    def add_topic(self, chat_id: int, name: str = "Topic", *, user_id: int = 1,
                  first_name: str = "Alice") -> int:
        """Make the supergroup `chat_id` a forum and open a topic in it, as a member does; returns
        the topic's `message_thread_id`, which is (as in Telegram) the id of its first message, the
        `forum_topic_created` service message. That message is not sent to the bot."""
        with self._lock:
            user = self._user_json(user_id, first_name, None)
            self._chat_for_user(chat_id, user, "supergroup")
            self._chats[chat_id]["is_forum"] = True
            thread_id = self._take_message_id(chat_id)
            self._messages[(chat_id, thread_id)] = {
                "message_id": thread_id, "from": user, "chat": self._chat_json(chat_id),
                "date": int(time.time()), "message_thread_id": thread_id, "is_topic_message": True,
                "forum_topic_created": {"name": name, "icon_color": 7322096},
            }
            self._topics[chat_id].add(thread_id)
        return thread_id

    def migrate_group(
        self, chat_id: int, new_chat_id: int | None = None, *, user_id: int = 1,
        first_name: str = "Alice", announce: bool = True,
    ) -> int:
        """Upgrade the group `chat_id` to a supergroup, as Telegram does (a group that grows, or
        gets a setting only supergroups have): the supergroup has a new id (`new_chat_id`, by
        default -100… made from the old one) and the group's title; every call that names the old
        id answers 400 "group chat was upgraded to a supergroup chat" with
        `parameters.migrate_to_chat_id`; with `announce`, the bot gets the service messages, one
        with `migrate_to_chat_id` in the old chat, then one with `migrate_from_chat_id` in the new.
        Returns the new id."""
        new_id = new_chat_id if new_chat_id is not None else -(10**12 + abs(chat_id))
        updates: list[dict[str, Any]] = []
        with self._lock:
            user = self._user_json(user_id, first_name, None)
            old = self._chat_json(chat_id)
            title = old.get("title", f"Test group {abs(chat_id)}")
            self._chats[new_id] = {"id": new_id, "type": "supergroup", "title": title}
            services = ((old, "migrate_to_chat_id", new_id),
                        (self._chats[new_id], "migrate_from_chat_id", chat_id))
            for chat, field_name, value in services if announce else ():
                message_id = self._take_message_id(chat["id"])
                message = {"message_id": message_id, "from": user, "chat": dict(chat),
                           "date": int(time.time()), field_name: value}
                self._messages[(chat["id"], message_id)] = message
                updates.append({"message": copy.deepcopy(message)})
            self._migrated[chat_id] = new_id
        for raw in updates:
            self.push_update(raw)
        return new_id

    def press_button(self, chat_id: int, user_id: int, message_id: int, data: str, *,
                     first_name: str = "Alice", username: str | None = None,
                     too_old: bool = False) -> str:
        """A user presses the inline button with callback `data` under the bot's message
        `message_id`; returns the callback query's id (what answerCallbackQuery gets).
        `too_old`: the press waits longer than Telegram lets a query be answered (the bot was
        down when it was pressed), so answerCallbackQuery answers 400 "query is too old…"."""
        with self._lock:
            message = self._messages.get((chat_id, message_id))
            if message is None:
                raise KeyError(f"no message {message_id} in chat {chat_id} to press a button on")
            query_id = str(8_000_000_000_000_000_000 + next(self._counter))
            self._callbacks[query_id] = (chat_id, too_old)  # an expired query answers as an answered one
            raw = {
                "callback_query": {
                    "id": query_id,
                    "from": self._user_json(user_id, first_name, username),
                    "message": copy.deepcopy(message),
                    "chat_instance": str(abs(chat_id) * 7919 + 1_000_003),
                    "data": data,
                }
            }
        self.push_update(raw)
        return query_id

    def send_sticker(self, chat_id: int, user_id: int, *, emoji: str = "👍",
                     first_name: str = "Alice", username: str | None = None) -> int:
        file_id, unique_id = self._new_file(None, "stickers", "webp")
        sticker = {
            "file_id": file_id, "file_unique_id": unique_id, "type": "regular", "width": 512,
            "height": 512, "is_animated": False, "is_video": False, "emoji": emoji,
            "file_size": 20_000,
        }
        return self._user_message(chat_id, user_id, {"sticker": sticker},
                                  first_name=first_name, username=username)

    def send_photo(self, chat_id: int, user_id: int, *, caption: str | None = None,
                   data: bytes | None = None, first_name: str = "Alice",
                   username: str | None = None) -> int:
        """A user sends a photo (`data`, if given, is what getFile then serves)."""
        content: dict[str, Any] = {"photo": self._photo_sizes(data)}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(chat_id, user_id, content, first_name=first_name,
                                  username=username)

    def send_voice(self, chat_id: int, user_id: int, *, duration: int = 3,
                   data: bytes | None = None, first_name: str = "Alice",
                   username: str | None = None) -> int:
        file_id, unique_id = self._new_file(data, "voice", "oga")
        voice = {"file_id": file_id, "file_unique_id": unique_id, "duration": duration,
                 "mime_type": "audio/ogg", "file_size": len(data) if data else 12_000}
        return self._user_message(chat_id, user_id, {"voice": voice},
                                  first_name=first_name, username=username)

    def send_document(self, chat_id: int, user_id: int, *, file_name: str = "answer.txt",
                      mime_type: str = "text/plain", data: bytes | None = None,
                      caption: str | None = None, first_name: str = "Alice",
                      username: str | None = None) -> int:
        file_id, unique_id = self._new_file(data, "documents", file_name.rpartition(".")[2])
        document = {"file_id": file_id, "file_unique_id": unique_id, "file_name": file_name,
                    "mime_type": mime_type, "file_size": len(data) if data else 1_000}
        content: dict[str, Any] = {"document": document}
        if caption is not None:
            content["caption"] = caption
        return self._user_message(chat_id, user_id, content, first_name=first_name,
                                  username=username)

    def edit_text(self, chat_id: int, user_id: int, message_id: int, new_text: str) -> int:
        """A user edits their text message: an edited_message update; returns its message_id."""
        with self._lock:
            message = self._messages.get((chat_id, message_id))
            if message is None or message.get("from", {}).get("id") != user_id:
                raise KeyError(f"user {user_id} has no message {message_id} in chat {chat_id}")
            message["text"] = new_text
            message["edit_date"] = int(time.time())
            if new_text.startswith("/"):
                command = new_text.split(maxsplit=1)[0]
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(command)}
                ]
            else:
                message.pop("entities", None)
            raw = {"edited_message": copy.deepcopy(message)}
        self.push_update(raw)
        return message_id

    def _user_message(
        self,
        chat_id: int,
        user_id: int,
        content: dict[str, Any],
        *,
        first_name: str = "Alice",
        username: str | None = None,
        chat_type: str | None = None,
        reply_to_message_id: int | None = None,
        thread_id: int | None = None,
        date: int | None = None,
        author: dict[str, Any] | None = None,
    ) -> int:
        with self._lock:
            user = (dict(author) if author is not None
                    else self._user_json(user_id, first_name, username))
            chat = self._chat_for_user(chat_id, user, chat_type)
            message_id = self._take_message_id(chat_id)
            message: dict[str, Any] = {
                "message_id": message_id, "from": user, "chat": chat,
                "date": int(time.time()) if date is None else date,
            }
            if thread_id is not None:
                if thread_id not in self._topics.get(chat_id, ()):
                    raise KeyError(f"no topic {thread_id} in chat {chat_id} (see add_topic)")
                message["message_thread_id"] = thread_id
                message["is_topic_message"] = True
            reply_to = reply_to_message_id if reply_to_message_id is not None else thread_id
            if reply_to is not None:  # in a topic, a message replying to nothing replies to its first
                target = self._messages.get((chat_id, reply_to))
                if target is not None:
                    message["reply_to_message"] = without_reply(target)
            message.update(content)
            self._messages[(chat_id, message_id)] = message
            raw = {"message": copy.deepcopy(message)}
        self.push_update(raw)
        return message_id
