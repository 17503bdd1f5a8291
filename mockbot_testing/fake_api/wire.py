"""The Bot API on the wire: request bodies (JSON, form-encoded, multipart uploads) decoded as the
Bot API reads them, and the answer envelopes `{"ok": true, "result": ...}` / `{"ok": false,
"error_code": ..., "description": ...}`, with the error a method raises to answer one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["ApiError", "bad_request", "not_modified", "phrase", "ok_body", "error_body", "read_body", "parse_params"]

_INT = re.compile(r"-?\d+")

# Form values that are strings as they are (PTB does not JSON-encode str values): never decoded.
_STRING_PARAMS = frozenset(
    {"text", "caption", "parse_mode", "callback_query_id", "inline_message_id", "url", "action",
     "language_code", "business_connection_id", "secret_token", "ip_address", "description",
     "short_description", "name", "title", "emoji", "query", "message_effect_id", "photo",
     "document", "voice", "sticker", "file_id", "certificate", "custom_title"}
)

# Values that are JSON objects/arrays even when a JSON body carries them as a string.
_JSON_PARAMS = frozenset(
    {"reply_markup", "reply_parameters", "entities", "caption_entities", "commands", "scope",
     "allowed_updates", "link_preview_options", "media"}
)


class ApiError(Exception):
    """An error answer of the Bot API: HTTP `status`, `description`, and `parameters` (e.g.
    `retry_after`, `migrate_to_chat_id`) if it has any."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad_request(what: str) -> ApiError:
    """400 "Bad Request: `what`"."""
    return ApiError(400, f"Bad Request: {what}")


def not_modified() -> ApiError:
    """The 400 of an edit that would change nothing."""
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


def phrase(status: int) -> str:
    """The reason phrase of an HTTP status ("Unknown" for a status HTTP does not name)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def ok_body(result: Any) -> bytes:
    """The answer of a call that succeeded."""
    return json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()


def error_body(status: int, description: str, parameters: dict[str, Any] | None = None
               ) -> bytes:
    """The answer of a call that failed."""
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return json.dumps(body, ensure_ascii=False).encode()


async def read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    """A request's body: `Content-Length` bytes, or the chunks of a chunked one."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length", "0") or 0)
    if length < 0:
        raise ValueError("negative Content-Length")
    return await reader.readexactly(length) if length else b""


def _decode(name: str, value: str) -> Any:
    """A form value as the Bot API reads it: PTB JSON-encodes every non-string value."""
    if name in _STRING_PARAMS:
        return value
    if value in ("true", "false"):
        return value == "true"
    if _INT.fullmatch(value):
        return int(value)
    if value[:1] in ("{", "[") or name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def parse_params(query: str, content_type: str, body: bytes
                 ) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A call's parameters (from the query string and the body, decoded as the Bot API reads
    them) and its uploads (by parameter name; an "attach://" reference names its part)."""
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        params[name] = _decode(name, value)
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        pass
    elif media_type == "application/json":
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ValueError("can't parse JSON object") from exc
        if not isinstance(data, dict):
            raise ValueError("JSON object expected")
        for name, value in data.items():
            if name in _JSON_PARAMS and isinstance(value, str):
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            params[name] = value
    elif media_type == "multipart/form-data":
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if not match:
            raise ValueError("multipart body without boundary")
        for name, filename, content in _multipart_parts(body, match.group(1).encode("latin-1")):
            if filename is not None:
                files[name] = content
            else:
                params[name] = _decode(name, content.decode("utf-8", "replace"))
    else:  # application/x-www-form-urlencoded, or anything form-like
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            params[name] = _decode(name, value)
    for name, value in list(params.items()):  # "attach://<part>" names an uploaded part
        if isinstance(value, str) and value.startswith("attach://"):
            part = value[len("attach://"):]
            if part in files:
                files[name] = files.pop(part)
                del params[name]
    return params, files


def _multipart_parts(body: bytes, boundary: bytes
                     ) -> Iterable[tuple[str, str | None, bytes]]:
    delimiter = b"--" + boundary
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        if part.startswith(b"\r\n"):
            part = part[2:]
        if part.endswith(b"\r\n"):
            part = part[:-2]
        head, _, content = part.partition(b"\r\n\r\n")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            if key.strip().lower() == "content-disposition":
                disposition = value
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        if name is None:
            continue
        filename = re.search(r'filename\*?="?([^";]*)"?', disposition)
        yield name.group(1), (filename.group(1) if filename else None), content
