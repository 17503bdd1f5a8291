"""mockbot's Telegram front-end. `app` wires the handlers; every module sends through `send` (the
one send policy and the chats' keys), which imports none of them. The fake Bot API server its tests
run against lives outside the product, in `mockbot_testing.fake_api`."""
