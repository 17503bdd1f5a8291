"""Every text the engine shows, in Chinese (default) and English.

Texts that name a command use `{cmd_next}`, `{cmd_skip}`, `{cmd_topics}`, `{cmd_followup}`: each
front-end fills in its own spelling (`TELEGRAM_COMMANDS`, `TERMINAL_COMMANDS`). Plurals and list
joins follow each language's rules (Babel's CLDR data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from babel import Locale
from babel.lists import format_list

__all__ = ["t", "wording", "plural", "join_list", "LANGUAGES", "TELEGRAM_COMMANDS", "TERMINAL_COMMANDS"]

LANGUAGES = ("zh", "en")
_LOCALES = {"zh": "zh_Hans_CN", "en": "en"}

TELEGRAM_COMMANDS = {"cmd_next": "/question", "cmd_skip": "/skip", "cmd_topics": "/topics", "cmd_followup": "/followup"}
TERMINAL_COMMANDS = {"cmd_next": ":next", "cmd_skip": ":skip", "cmd_topics": ":topic", "cmd_followup": ":followup"}

_PLURALS: dict[str, dict[str, dict[str, str]]] = {
    "answers": {"zh": {"other": "{n} 次"}, "en": {"one": "{n} answer", "other": "{n} answers"}},
    "questions": {"zh": {"other": "{n} 题"}, "en": {"one": "{n} question", "other": "{n} questions"}},
    "days": {"zh": {"other": "{n} 天"}, "en": {"one": "{n} day", "other": "{n} days"}},
    "hints": {"zh": {"other": "{n} 次提示"}, "en": {"one": "{n} hint", "other": "{n} hints"}},
    "new_questions": {"zh": {"other": "{n} 道新题"}, "en": {"one": "{n} new question", "other": "{n} new questions"}},
}

_TEXTS: dict[str, dict[str, str]] = {
    "welcome_back": {
        "zh": "欢迎回来！已经答了 {answers}，现在有 {due} 道题到期复习。",
        "en": "Welcome back! {answers} so far; {due} due for review now.",
    },
    "welcome_back_new": {"zh": "欢迎回来！", "en": "Welcome back!"},
    "summary_due_now": {"zh": "现在有 {n} 道题到期复习。", "en": "{n} due for review now."},
    "summary_gave_up": {"zh": "另有 {n} 题看了答案（记为没答上）。", "en": "{n} more with the answer looked up (counted as not answered). "},
    "topics_now": {"zh": "只练这些主题：{topics}（{cmd_topics} 可以更换）", "en": "Practising only: {topics} ({cmd_topics} to change)"},
    "caught_up": {
        "zh": "「{topics}」的题暂时练完了：没有新题，也没有到期的复习。{when}{others}",
        "en": "Nothing left on {topics} for now: no new question and no review due. {when}{others}",
    },
    "caught_up_when": {"zh": "下一道复习：{due}。", "en": "The next review is due {due}. "},
    "caught_up_others": {
        "zh": "可以换个主题（{cmd_topics}）：{topics}。",
        "en": "Other topics have questions ({cmd_topics}): {topics}.",
    },
    "caught_up_all": {"zh": "所有主题都练完了，到时候再来吧！", "en": "Every topic is done for now: come back then!"},
    "topic_ready": {"zh": "{id}（{name}，{new}）", "en": "{id} ({name}, {new})"},
    "everything": {"zh": "全部主题", "en": "all topics"},
    "followup_after_answer": {
        "zh": "先回答当前这道题；答完以后可以用 {cmd_followup} 追问漏掉的要点。",
        "en": "Answer the open question first; after the feedback, {cmd_followup} asks about a point you missed.",
    },
    "summary": {
        "zh": "本次练习小结：答了 {answers}，平均 {average:.0f} 分。{topics}{due}",
        "en": "This session: {answers}, average {average:.0f}. {topics}{due}",
    },
    "summary_topics": {"zh": "最好：{best}（{best_average:.0f}）；最弱：{weak}（{weak_average:.0f}）。", "en": "Best: {best} ({best_average:.0f}); weakest: {weak} ({weak_average:.0f}). "},
    "summary_due": {"zh": "下一道复习：{due}。", "en": "Next review due {due}."},
    "summary_none": {"zh": "本次没有作答。{due}", "en": "No answer this session. {due}"},
    "reference_media": {
        "zh": "参考答案是图片或链接（见下）。它的要点：\n{points}",
        "en": "The reference answer is an image or a link (below). Its key points:\n{points}",
    },
    "welcome": {
        "zh": "欢迎使用 mockbot 面试练习！我会出机器学习/深度学习面试题，你用自己的话作答，我来评分并指出漏掉的要点。",
        "en": "Welcome to mockbot! I ask machine-learning interview questions; answer in your own words and I grade "
        "the answer and name the key points you missed.",
    },
    "question": {"zh": "第 {n} 题 · {topic}", "en": "Question {n} · {topic}"},
    "resume": {"zh": "继续上次没答完的题：", "en": "Picking up the question you left open:"},
    "open_question": {
        "zh": "（开放题：没有参考答案，不评分。把你的思路写下来练习表达，或 {cmd_skip} 跳过。）",
        "en": "(An open question: no reference answer, not graded. Write your reasoning down to practise, or {cmd_skip}.)",
    },
    "followup": {
        "zh": "追问：关于「{question}」，你还没讲到一个要点。能具体说说和「{hint}」有关的部分吗？",
        "en": "Follow-up: on “{question}” you left out a key point. Can you explain the part about “{hint}”?",
    },
    "open_answered": {
        "zh": "这是开放题：没有参考答案，不评分。把你的思路和资料对照一下吧；过几天它还会再出现。",
        "en": "An open question: no reference answer, so no grade. Check your reasoning against other sources; it will come back later.",
    },
    "no_followup": {"zh": "这题的要点你都答到了，没有需要追问的。", "en": "You made every key point: nothing to follow up."},
    "stale_question": {
        "zh": "你回复的是之前的题目 [{id}]，它已经不是当前的题目了（当前是 [{open}]），所以这条回答没有评分。"
        "要回答当前的题目，请直接发送（不用“回复”旧消息）。",
        "en": "You replied to an earlier question [{id}]; the open question is [{open}], so this answer was not "
        "graded. To answer the open question, just send your answer (without replying to the old message).",
    },
    "stale_no_question": {
        "zh": "你回复的题目 [{id}] 已经结束了，这条回答没有评分。发送 {cmd_next} 来一道新题。",
        "en": "The question you replied to [{id}] is closed, so this answer was not graded. Send {cmd_next} for a new one.",
    },
    "unknown_question": {
        "zh": "你回复的题目 [{id}] 已经不在题库里了，这条回答没有评分。发送 {cmd_next} 来一道新题。",
        "en": "The question you replied to [{id}] is no longer in the question bank, so this answer was not graded. "
        "Send {cmd_next} for a new one.",
    },
    "no_question": {
        "zh": "现在没有待回答的题目。发送 {cmd_next} 来一道题。",
        "en": "There is no open question. Send {cmd_next} for one.",
    },
    "bank_empty": {"zh": "题库里没有可以出的题。", "en": "The question bank has no question to ask."},
    "no_topic_questions": {"zh": "「{topic}」下没有可出的题，换个主题试试。", "en": "No question left under “{topic}”; try another topic."},
    "unknown_topic": {"zh": "不认识的主题「{topic}」。可选：{topics}", "en": "Unknown topic “{topic}”. Topics: {topics}"},
    "topics": {"zh": "题目主题：\n{lines}", "en": "Topics:\n{lines}"},
    "topics_set": {"zh": "之后只出这些主题的题：{topics}", "en": "From now on: questions on {topics}"},
    "topics_all": {"zh": "之后所有主题都会出题。", "en": "From now on: questions on every topic."},
    "hint": {"zh": "提示（扣 {cost} 分）：{point}", "en": "Hint (costs {cost} points): {point}"},
    "no_hint": {"zh": "没有更多提示了。", "en": "No more hints."},
    "hint_open": {"zh": "开放题没有提示。", "en": "Open questions have no hints."},
    "reference": {"zh": "参考答案：\n{answer}", "en": "Reference answer:\n{answer}"},
    "gave_up": {"zh": "（这题记为没答上，之后会更早再出。）", "en": "(Counted as not answered: it will come back sooner.)"},
    "skipped": {"zh": "已跳过这题。", "en": "Skipped."},
    "hint_again": {"zh": "这条提示前面已经给过了（不再扣分）：{point}", "en": "You already had this hint (no extra cost): {point}"},
    "button_closed": {
        "zh": "「{button}」是之前的题目 [{id}] 的按钮，那道题已经结束，这次什么也没做。{now}",
        "en": "“{button}” belongs to an earlier question [{id}], which is closed: nothing was done. {now}",
    },
    "closed_open": {
        "zh": "当前的题目是 [{open}]：直接发送回答，或用 {cmd_skip} 跳过。",
        "en": "The open question is [{open}]: just send your answer, or {cmd_skip}.",
    },
    "closed_none": {"zh": "现在没有待回答的题目，发送 {cmd_next} 来一道新题。", "en": "No question is open: send {cmd_next} for a new one."},
    "reference_sent": {
        "zh": "参考答案上面已经发过了；这题只记一次没答上。",
        "en": "The reference answer is just above; the question counts as not answered once, not twice.",
    },
    "reference_closed": {
        "zh": "（这是之前的题目 [{id}] 的参考答案：只是查看，不记分。）",
        "en": "(The reference of an earlier question [{id}]: for reading only, not scored.)",
    },
    "reference_closed_open": {
        "zh": "（这是之前的题目 [{id}] 的参考答案：只是查看，不记分。当前的题目 [{open}] 不受影响，还在等你回答。）",
        "en": "(The reference of an earlier question [{id}]: for reading only, not scored. The open question [{open}] "
        "is not affected and still waits for your answer.)",
    },
    "followup_asked": {"zh": "追问已经发出了：直接发送你的回答即可。", "en": "The follow-up is already asked: just send your answer."},
    "rerated": {"zh": "已按「{rating}」重新安排复习：下次 {due}。", "en": "Rescheduled as “{rating}”: next review {due}."},
    "nothing_to_rate": {"zh": "还没有可以重新评级的回答。", "en": "There is no answer to re-rate yet."},
    "hint_penalty": {"zh": "（用了 {hints}，扣 {cost} 分）", "en": "({hints} used: −{cost})"},
    "next_due": {"zh": "下次复习：{due}", "en": "Next review: {due}"},
    "empty_answer": {"zh": "回答是空的：写下你的回答，或用 {cmd_skip} 跳过这题。", "en": "The answer is empty: write your answer, or {cmd_skip} to skip the question."},
    "not_gradable": {"zh": "这道题没有参考答案，无法评分；可以对照别的资料自己检查。", "en": "This question has no reference answer to grade against."},
    "stats": {
        "zh": "共练习 {answers}，平均 {average:.0f} 分，连续 {streak}，今天 {today}。\n{lines}",
        "en": "{answers}, average {average:.0f}, streak {streak}, {today} today.\n{lines}",
    },
    "stats_topic": {"zh": "{name}：掌握 {mastery:.0%}，{answers}，平均 {average:.0f}，待复习 {due}", "en": "{name}: mastery {mastery:.0%}, {answers}, average {average:.0f}, {due} due"},
    "stats_untried": {"zh": "还没练过：{topics}", "en": "Not tried yet: {topics}"},
    "no_stats": {"zh": "还没有练习记录。", "en": "No practice yet."},
    "language_set": {"zh": "界面语言：中文", "en": "Language: English"},
    "unknown_language": {"zh": "可选语言：zh（中文）、en（English）", "en": "Languages: zh (中文), en (English)"},
    "subscribed": {"zh": "好的，每天 {time}（{tz}）推送一道题。", "en": "Done: a question every day at {time} ({tz})."},
    "unsubscribed": {"zh": "已取消每日推送。", "en": "Daily questions are off."},
    "bad_time": {"zh": "时间格式不对：{value}（应为 HH:MM，如 08:30）", "en": "Not a time: {value} (use HH:MM, e.g. 08:30)"},
    "bad_timezone": {"zh": "不认识的时区：{value}（如 Asia/Shanghai）", "en": "Unknown time zone: {value} (e.g. Asia/Shanghai)"},
    "mock_usage": {
        "zh": "用法：/mock [题数 1-10] [主题] [每题秒数 15-600]，例如 /mock 3 cnn 90",
        "en": "Usage: /mock [questions 1-10] [topic] [seconds per question 15-600], e.g. /mock 3 cnn 90",
    },
    "mock_question": {
        "zh": "模拟面试 第 {n}/{total} 题（{seconds} 秒内回复本消息作答）",
        "en": "Mock interview {n}/{total} ({seconds} s: reply to this message to answer)",
    },
    "mock_running": {"zh": "这个群里已经有一轮模拟面试在进行。", "en": "A mock interview is already running here."},
    "mock_received": {"zh": "收到 {name} 的回答。", "en": "Got {name}'s answer."},
    "mock_already": {"zh": "{name} 已经答过这题了，以第一次为准。", "en": "{name} already answered; the first answer counts."},
    "mock_results": {"zh": "第 {n} 题结束：{question}\n谁答到了哪些要点：", "en": "Question {n} closed: {question}\nWho made which key point:"},
    "mock_nobody": {"zh": "这题没有人作答。", "en": "Nobody answered this one."},
    "mock_board": {"zh": "🏁 模拟面试结束，排行榜：", "en": "🏁 Mock interview over. Leaderboard:"},
    "mock_board_line": {"zh": "{mark} {name}：{total:.0f} 分（答了 {count} 题）", "en": "{mark} {name}: {total:.0f} points ({count} answered)"},
    "mock_empty_board": {"zh": "🏁 模拟面试结束：这次没有人作答。", "en": "🏁 Mock interview over: nobody answered."},
    "mock_none": {"zh": "这里没有进行中的模拟面试。", "en": "No mock interview is running here."},
    "mock_not_allowed": {"zh": "只有发起人或群管理员可以结束模拟面试。", "en": "Only the starter or a chat admin can stop the round."},
    "mock_stopped": {"zh": "模拟面试已提前结束。", "en": "The mock interview was stopped."},
    "too_fast": {"zh": "答得太快啦，请 {seconds} 秒后再发（这条没有丢，题目还在）。", "en": "Too fast: please send again in {seconds} s (the question is still open)."},
    "forgotten": {"zh": "已删除你的全部数据（回答、进度、设置）。", "en": "All your data (answers, progress, settings) is deleted."},
    "forget_confirm": {"zh": "确定删除你的全部回答、进度和设置吗？无法恢复。", "en": "Delete all your answers, progress and settings? This cannot be undone."},
    "forget_yes": {"zh": "确定删除", "en": "Delete"},
    "button_hint": {"zh": "提示", "en": "Hint"},
    "button_answer": {"zh": "看答案", "en": "Answer"},
    "button_next": {"zh": "下一题", "en": "Next"},
    "button_skip": {"zh": "跳过", "en": "Skip"},
    "button_followup": {"zh": "追问", "en": "Follow-up"},
    "button_hard": {"zh": "有点难", "en": "Hard"},
    "button_easy": {"zh": "太简单", "en": "Easy"},
    "rating_again": {"zh": "没记住", "en": "Again"},
    "rating_hard": {"zh": "有点难", "en": "Hard"},
    "rating_good": {"zh": "记住了", "en": "Good"},
    "rating_easy": {"zh": "太简单", "en": "Easy"},
}


def t(key: str, language: str, **values: object) -> str:
    """The text `key` in `language` (zh when unknown), with `values` filled in.

    Command names not given in `values` are Telegram's (`TELEGRAM_COMMANDS`).
    """
    return wording(_TEXTS[key], language).format(**{**TELEGRAM_COMMANDS, **values})


def wording(entry: Mapping[str, str], language: str) -> str:
    """A text's wording in `language`, Chinese when it has none: `entry` maps "zh"/"en" to it."""
    return entry.get(language, entry["zh"])


def plural(key: str, language: str, n: int) -> str:
    """`n` with its noun in the right plural form, e.g. plural("answers", "en", 1) == "1 answer".

    >>> plural("answers", "en", 1), plural("answers", "en", 3), plural("answers", "zh", 3)
    ('1 answer', '3 answers', '3 次')
    """
    forms = _PLURALS[key].get(language, _PLURALS[key]["zh"])
    category = Locale.parse(_LOCALES.get(language, "zh_Hans_CN")).plural_form(n)
    return forms.get(category, forms["other"]).format(n=n)


def join_list(items: Iterable[str], language: str) -> str:
    """Items joined as the language lists them: "A, B and C" / "A、B和C".

    >>> join_list(["Machine learning", "PyTorch"], "en"), join_list(["机器学习", "PyTorch"], "zh")
    ('Machine learning and PyTorch', '机器学习和PyTorch')
    """
    return format_list(list(items), locale=_LOCALES.get(language, "zh_Hans_CN"))
