"""Group mock interviews in Telegram: /mock starts a round, replies to the question message are
answers, a JobQueue timer closes each question, /mock_stop ends it.

The parts: `round` (the commands, the replies, each question's timer, restoring rounds at
start-up), `delivery` (sending to a group: questions, pending round messages in order, moving a
group upgraded to a supergroup), `notices` (acknowledgements gathered into one message) and
`players` (who a message's author plays as, its forum topic, which messages are round questions).

Rounds live in the database, and every step is committed before its message is sent, so a crash
(even SIGKILL) at any point resumes after a restart without a gap:

* A question's results, and the leaderboard after the last question, are outbox rows written in
  the same transaction that moves the round on (`rounds.close_question`). They are sent by
  `outbox.deliver_chat`, in order, each marked sent as soon as Telegram has accepted it; rows left
  pending by a crash or a failed send go out at start-up or on the chat's next delivery.
* A round whose current question has no `message_id` has not posted it yet (the round was just
  started, or just moved on). `round.open_question` posts it, stores the message id at once, and
  opens the question for the round's full time from then.
* At start-up (`restore_rounds`, before any update is handled) each group's pending messages go
  out first, then every running round's unposted question is posted, and the timers of posted
  questions are rebuilt (an overdue one closes `CLOSE_GRACE` seconds after the start, so the
  replies Telegram kept meanwhile are handled first). Answers are rows of their own, stored before
  they are acknowledged, so answers given before a crash count.

What can still repeat is a message Telegram accepted in the instant before the crash, before that
was recorded: a results message between its send and its "sent" mark, or a question between its
send and the write of its message id (then it is posted again after the restart, and only the
second copy takes answers). Telegram has no idempotency key that would close these windows; each
is kept to the single database write right after the send returns.

Busy groups. A reply counts if it was *sent* before the question's deadline (the message's date,
to the second Telegram gives), however late the bot gets to it: the question closes `CLOSE_GRACE`
seconds after its deadline, and only once the replies being graded at that moment are stored. A
reply that reaches the bot after the question closed gets a short note instead. Acknowledgements
never hold up the handling of updates: what a topic's replies get (received, already answered,
closed) is gathered for `NOTICE_GATHER` seconds and sent in the background as one message
(「收到 A、B、C 的回答。」; a single one quotes the reply), which also keeps the group under
Telegram's 20 messages a minute; the answers to /mock and /mock_stop go out in the background as
well. Other chats are served meanwhile (`ordering`). Notices live in memory: a crash loses the
ones not sent yet, never an answer.

Forum topics. A round belongs to the topic (`message_thread_id`) it was started in: its question,
notices, results and leaderboard go there, `/mock_stop` there ends it, and every topic may run a
round of its own. Outside forums (and in a forum's General topic) the topic is 0.

Players. A member who speaks as a chat (`sender_chat`: a channel, or the group itself for an
anonymous admin) plays as that chat and is named by its title; an anonymous admin is an admin.

Upgrades. A group upgraded to a supergroup gets a new chat id. On the service message
(`migrate_to_chat_id` in the old chat, `migrate_from_chat_id` in the new), or when a send answers
`ChatMigrated`, everything of the chat moves to the new id (`Store.move_chat`: rounds, pending
messages, settings) and the round carries on there; an open question is posted again in the
supergroup (a reply can only quote a message of its own chat), its deadline unchanged.
"""

from .delivery import RETRY_SECONDS, chat_migrated, migrate_chat
from .notices import NOTICE_GATHER, notice_text
from .players import player_of, thread_of
from .round import CLOSE_GRACE, group_reply, mock, mock_stop, restore_rounds, schedule_deadline

__all__ = [
    "mock", "mock_stop", "group_reply", "chat_migrated", "migrate_chat", "restore_rounds", "schedule_deadline",
    "player_of", "thread_of", "notice_text", "RETRY_SECONDS", "CLOSE_GRACE", "NOTICE_GATHER",
]
