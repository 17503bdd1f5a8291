"""mockbot's Telegram front-end, and the fake Bot API server (`fake_api`) its tests run against."""
