"""The chat model of the fake Bot API server: chats as Telegram shows them (private chats, groups,
supergroups, forums with topics, groups upgraded to supergroups), the users it has seen, the
messages of each chat with their ids counted per chat, the bot's own new messages (replies,
topics, keyboards) and the files behind photos, voices and documents."""

from __future__ import annotations

import copy
import time
from typing import Any

from .content import html_to_plain, image_size, inline_markup, is_png, set_markup, without_reply
from .state import ServerState
from .wire import ApiError, bad_request

__all__ = ["ChatModel"]

_MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"


class ChatModel(ServerState):
    """Chats, users, messages and files (see the module's docstring)."""

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The current JSON of a message in a chat (the bot's or a user's), or None."""
        with self._lock:
            found = self._messages.get((chat_id, message_id))
            return copy.deepcopy(found) if found is not None else None

    def _chat_id(self, p: dict[str, Any]) -> int:
        chat_id = p.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            raise bad_request("chat not found")
        if chat_id in self._migrated:
            raise ApiError(400, _MIGRATED, {"migrate_to_chat_id": self._migrated[chat_id]})
        return chat_id

    def _chat_json(self, chat_id: int) -> dict[str, Any]:
        known = self._chats.get(chat_id)
        if known is not None:
            return dict(known)
        if chat_id > 0:
            user = self._users.get(chat_id)
            chat = {"id": chat_id, "type": "private",
                    "first_name": user["first_name"] if user else f"User {chat_id}"}
            if user and "username" in user:
                chat["username"] = user["username"]
            return chat
        return {"id": chat_id, "type": "supergroup", "title": f"Test group {abs(chat_id)}"}

    def _chat_for_user(self, chat_id: int, user: dict[str, Any], chat_type: str | None
                       ) -> dict[str, Any]:
        known = self._chats.get(chat_id, {})  # a group keeps its type (a basic "group", a forum)
        chat_type = chat_type or ("private" if chat_id > 0 else known.get("type", "supergroup"))
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            if "username" in user:
                chat["username"] = user["username"]
        else:
            chat = {"id": chat_id, "type": chat_type,
                    "title": known.get("title", f"Test group {abs(chat_id)}")}
            if known.get("is_forum"):
                chat["is_forum"] = True
        self._chats[chat_id] = chat
        return dict(chat)

    def _user_json(self, user_id: int, first_name: str, username: str | None) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name,
                                "language_code": "en"}
        if username:
            user["username"] = username
        self._users[user_id] = user
        return dict(user)

    def _take_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id[chat_id]
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _bot_message(self, chat_id: int, p: dict[str, Any]) -> dict[str, Any]:
        """A new message from the bot (its id not yet taken), with the reply it asks for."""
        message: dict[str, Any] = {
            "message_id": 0, "from": dict(self.bot_user), "chat": self._chat_json(chat_id),
            "date": int(time.time()),
        }
        reply = p.get("reply_parameters")
        if not isinstance(reply, dict):
            reply = {"message_id": p["reply_to_message_id"]} if isinstance(
                p.get("reply_to_message_id"), int) else None
            if reply is not None and p.get("allow_sending_without_reply") is True:
                reply["allow_sending_without_reply"] = True
        if reply is not None:
            key = (reply.get("chat_id", chat_id), reply.get("message_id"))
            target = self._messages.get(key)  # type: ignore[arg-type]
            if target is not None:
                message["reply_to_message"] = without_reply(target)
            elif reply.get("allow_sending_without_reply") is not True:
                raise bad_request("message to be replied not found")
        thread_id = p.get("message_thread_id")
        if isinstance(thread_id, int):
            if self._chats.get(chat_id, {}).get("is_forum"):  # a topic of a forum
                if thread_id not in self._topics.get(chat_id, ()):
                    raise bad_request("message thread not found")
                message["is_topic_message"] = True
            message["message_thread_id"] = thread_id
        return message

    def _store(self, chat_id: int, message: dict[str, Any], p: dict[str, Any]
               ) -> dict[str, Any]:
        message["message_id"] = self._take_message_id(chat_id)
        set_markup(message, inline_markup(p.get("reply_markup")))
        self._messages[(chat_id, message["message_id"])] = message
        return copy.deepcopy(message)

    def _formatted(self, text: str, parse_mode: Any) -> str:
        """The text as Telegram shows it; HTML markup is checked like Telegram does."""
        if isinstance(parse_mode, str) and parse_mode.lower() == "html":
            return html_to_plain(text) if self.validate_html else text
        return text

    def _remember(self, payload: dict[str, Any]) -> None:
        """Keep what a raw update tells about chats, users, messages and callback queries."""
        for key in ("message", "edited_message", "channel_post"):
            message = payload.get(key)
            if isinstance(message, dict) and isinstance(message.get("chat"), dict):
                chat_id = message["chat"].get("id")
                message_id = message.get("message_id")
                if isinstance(chat_id, int) and isinstance(message_id, int):
                    self._chats.setdefault(chat_id, dict(message["chat"]))
                    if key != "edited_message" or (chat_id, message_id) not in self._messages:
                        self._messages.setdefault((chat_id, message_id), copy.deepcopy(message))
                    nxt = self._next_message_id
                    nxt[chat_id] = max(nxt[chat_id], message_id + 1)
        query = payload.get("callback_query")
        if isinstance(query, dict) and "id" in query and query["id"] not in self._callbacks:
            chat_id = ((query.get("message") or {}).get("chat") or {}).get("id")
            self._callbacks[str(query["id"])] = (chat_id, False)

    def _new_file(self, data: bytes | None, folder: str, extension: str) -> tuple[str, str]:
        with self._lock:
            number = next(self._counter)
            file_id = f"AgACAgIAAxkBAAI{number:06d}FakeFileId"
            unique_id = f"AQAD{number:06d}"
            path = f"{folder}/file_{number}.{extension or 'bin'}"
            self._files[file_id] = (unique_id, data, path)
            self._file_paths[path] = file_id
        return file_id, unique_id

    def _photo_sizes(self, data: bytes | None) -> list[dict[str, Any]]:
        width, height = image_size(data) or (1280, 960)
        file_id, unique_id = self._new_file(data, "photos", "png" if is_png(data) else "jpg")
        thumb_id, thumb_unique = self._new_file(data, "photos", "jpg")
        scale = min(1.0, 90 / max(width, height, 1))
        size = len(data) if data else 50_000
        return [
            {"file_id": thumb_id, "file_unique_id": thumb_unique,
             "width": max(1, round(width * scale)), "height": max(1, round(height * scale)),
             "file_size": min(size, 1_500)},
            {"file_id": file_id, "file_unique_id": unique_id, "width": width,
             "height": height, "file_size": size},
        ]

    def _photo_bytes(self, result: Any) -> bytes | None:
        if isinstance(result, dict) and result.get("photo"):
            known = self._files.get(result["photo"][-1]["file_id"])
            return known[1] if known else None
        return None
