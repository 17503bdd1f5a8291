"""Test support for mockbot, kept out of the product package `bot`: a fake Telegram Bot API server
(`fake_api`) that the tests and `mockbot bench push` run the real python-telegram-bot against."""
