"""The Bot API methods the fake server answers, with the checks Telegram makes: getMe, the webhook
and command-menu methods, sendMessage, sendPhoto, editMessageText, editMessageReplyMarkup,
answerCallbackQuery, sendChatAction, getChatMember, getChat, deleteMessage and getFile. Each takes
the decoded parameters and uploads and returns its result, or raises `ApiError` with Telegram's
answer (e.g. 400 "message is not modified")."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Callable
from typing import Any

from .content import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, inline_markup, set_markup, utf16_length
from .updates import UpdateQueue
from .wire import bad_request, not_modified

__all__ = ["BotMethods", "Method"]

Method = Callable[[dict[str, Any], dict[str, bytes]], Any]  # (parameters, uploads) -> result
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
    "can_delete_stories", "can_pin_messages", "can_manage_topics",
)


class BotMethods(UpdateQueue):
    """The Bot API methods (see the module's docstring)."""

    def _method_table(self) -> dict[str, tuple[str, Method]]:
        """Method name in lower case (Telegram's are case-insensitive) -> (its name, its handler)."""
        return {
            name.lower(): (name, handler)
            for name, handler in (
                ("getMe", self._get_me),
                ("deleteWebhook", self._delete_webhook),
                ("setWebhook", self._set_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("setMyCommands", self._set_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("sendMessage", self._send_message),
                ("sendPhoto", self._send_photo),
                ("editMessageText", self._edit_message_text),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("answerCallbackQuery", self._answer_callback_query),
                ("sendChatAction", self._send_chat_action),
                ("getChatMember", self._get_chat_member),
                ("getChat", self._get_chat),
                ("deleteMessage", self._delete_message),
                ("getFile", self._get_file),
            )
        }

    def _get_me(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        return {
            **self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False, "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # Where updates go is up to the test (`deliver_by_webhook`), not to the bot's setWebhook and
    # deleteWebhook: several workers each setting their own URL must not take turns at it.

    def _delete_webhook(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        self._webhook_url = ""
        self._webhook_secret = None
        if p.get("drop_pending_updates") is True:
            self._drop_pending_updates()
        return True

    def _set_webhook(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        url = p.get("url")
        if not isinstance(url, str):
            raise bad_request("bad webhook: Webhook URL must be provided")
        self._webhook_url = url
        secret = p.get("secret_token")
        self._webhook_secret = secret if isinstance(secret, str) and secret else None
        allowed = p.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) if allowed else None
        if p.get("drop_pending_updates") is True:
            self._drop_pending_updates()
        return True

    def _get_webhook_info(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        delivery = self._webhook
        url = self._webhook_url or (delivery.targets[0] if delivery is not None else "")
        return {"url": url, "has_custom_certificate": False,
                "pending_update_count": self.pending_updates}

    def _commands_key(self, p: dict[str, Any]) -> tuple[str, str]:
        scope = p.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(p.get("language_code") or "")

    def _set_my_commands(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("parameter \"commands\" must be an array of at most 100 commands")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            description = command.get("description", "") if isinstance(command, dict) else ""
            if not _COMMAND.fullmatch(name) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_INVALID")
        self._commands[self._commands_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _get_my_commands(self, p: dict[str, Any], files: dict[str, bytes]) -> list[Any]:
        return copy.deepcopy(self._commands.get(self._commands_key(p), []))

    def _delete_my_commands(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        self._commands.pop(self._commands_key(p), None)
        return True

    def _send_message(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        text = p.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("message text is empty")
        plain = self._formatted(text, p.get("parse_mode"))
        if not plain.strip():
            raise bad_request("message text is empty")
        if utf16_length(plain) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        message = self._bot_message(chat_id, p)
        message["text"] = plain
        if isinstance(p.get("entities"), list):
            message["entities"] = p["entities"]
        if isinstance(p.get("link_preview_options"), dict):
            message["link_preview_options"] = p["link_preview_options"]
        return self._store(chat_id, message, p)

    def _send_photo(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        data = files.get("photo")
        if data is None:
            reference = p.get("photo")
            if not isinstance(reference, str) or not reference:
                raise bad_request("there is no photo in the request")
            if reference in self._files:
                data = self._files[reference][1]
            elif not reference.startswith(("http://", "https://")):
                raise bad_request("wrong file identifier/HTTP URL specified")
        caption = p.get("caption")
        message = self._bot_message(chat_id, p)
        message["photo"] = self._photo_sizes(data)
        if isinstance(caption, str) and caption:
            plain = self._formatted(caption, p.get("parse_mode"))
            if utf16_length(plain) > MAX_CAPTION_LENGTH:
                raise bad_request("message caption is too long")
            message["caption"] = plain
        return self._store(chat_id, message, p)

    def _edit_target(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        message_id = p.get("message_id")
        if not isinstance(message_id, int):
            raise bad_request("message identifier is not specified")
        message = self._messages.get((chat_id, message_id))
        if message is None:
            raise bad_request("message to edit not found")
        if message.get("from", {}).get("id") != self.bot_id:
            raise bad_request("message can't be edited")
        return message

    def _edit_message_text(self, p: dict[str, Any], files: dict[str, bytes]
                           ) -> dict[str, Any] | bool:
        text = p.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("message text is empty")
        plain = self._formatted(text, p.get("parse_mode"))
        if utf16_length(plain) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        if p.get("inline_message_id"):
            return True
        message = self._edit_target(p)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        markup = inline_markup(p.get("reply_markup"))
        if plain == message["text"] and markup == message.get("reply_markup"):
            raise not_modified()
        message["text"] = plain
        set_markup(message, markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _edit_message_reply_markup(self, p: dict[str, Any], files: dict[str, bytes]
                                   ) -> dict[str, Any] | bool:
        if p.get("inline_message_id"):
            return True
        message = self._edit_target(p)
        markup = inline_markup(p.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise not_modified()
        set_markup(message, markup)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _answer_callback_query(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        query_id = str(p.get("callback_query_id") or "")
        chat_id, answered = self._callbacks.get(query_id, (None, True))
        if answered:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid")
        self._callbacks[query_id] = (chat_id, True)
        return True

    def _send_chat_action(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        self._chat_id(p)
        if not p.get("action"):
            raise bad_request("action is empty")
        return True

    def _get_chat_member(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        user_id = p.get("user_id")
        if not isinstance(user_id, int):
            raise bad_request("invalid user_id specified")
        if user_id == self.bot_id:
            user = {"id": self.bot_id, "is_bot": True, "first_name": self.bot_user["first_name"],
                    "username": self.bot_username}
        else:
            user = dict(self._users.get(user_id) or
                        {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"})
        if user_id in self.admins.get(chat_id, ()):
            return {"status": "administrator", "user": user, "can_be_edited": False,
                    "is_anonymous": False, "can_promote_members": False,
                    **{right: True for right in _ADMIN_RIGHTS}}
        return {"status": "member", "user": user}

    def _get_chat(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        return {
            **self._chat_json(chat_id), "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                    "unique_gifts": False, "premium_subscription": False,
                                    "gifts_from_channels": False},
        }

    def _delete_message(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        key = (self._chat_id(p), p.get("message_id"))
        if self._messages.pop(key, None) is None:  # type: ignore[arg-type]
            raise bad_request("message to delete not found")
        return True

    def _get_file(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        file_id = p.get("file_id")
        known = self._files.get(file_id) if isinstance(file_id, str) else None
        if known is None:
            raise bad_request("invalid file_id")
        unique_id, data, path = known
        result: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id,
                                  "file_path": path}
        if data is not None:
            result["file_size"] = len(data)
        return result
