"""Decks in Telegram: a user's own notes, sent as a file, previewed and imported; which sources a
user practises; the deck of a group's /mock rounds.

* `private`: a `.md`/`.txt` file sent in a private chat is downloaded (getFile), read by the notes
  importer and previewed (counts, the first questions with their key points, the lines skipped)
  with 导入 Import and 取消 Cancel buttons; Import stores the questions as the user's deck, once.
  `/decks` lists the user's sources (the shared bank and each deck) with buttons to switch each on
  or off for /question and /daily and to delete a deck; `/decks rename OLD NEW`.
* `group`: `/mock_deck NAME` (an admin of the group, one of their own decks) or `/mock_deck off`.
* `texts`: the words of the engine's deck outcomes, a preview and /decks (the catalog's `decks.`
  messages).

The limits (file size, decks per user, questions per deck, how long a preview's Import works) are
the engine's `deck_limits`. Everything lives in the database: a preview's Import works after a
restart, or in another process, and never imports twice.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from .group import mock_deck
from .private import PREFIX, deck_button, decks_command, upload

__all__ = ["add_handlers", "upload", "decks_command", "deck_button", "mock_deck"]


def add_handlers(application: Application) -> None:
    """Register the deck handlers; they come before the catch-all message and button handlers."""
    private = filters.ChatType.PRIVATE
    application.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE & filters.Document.ALL, upload))
    application.add_handler(CommandHandler("decks", decks_command, filters=private))
    application.add_handler(CallbackQueryHandler(deck_button, pattern=rf"^{PREFIX}"))
    application.add_handler(CommandHandler("mock_deck", mock_deck, filters=filters.ChatType.GROUPS))
