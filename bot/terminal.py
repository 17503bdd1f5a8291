"""Terminal practice mode: the practice engine behind a small REPL (rich rendering).

Type the answer over as many lines as you like and end it with an empty line; an empty line with
more input already waiting (a pasted answer with blank lines between its paragraphs) does not end
it. Text that comes when no question is open is not graded, and the user is told so. A command
(`:hint`, `:skip`, `:quit` … see `:help`; a full-width `：` works too) acts on any line: `:hint`,
`:stats` and `:help` keep what you have typed so far; the others drop it and say so; a mistyped one
is named as unknown and is not added to the answer. Ctrl-C drops what is being typed, never more;
`:quit` or Ctrl-D (end of input) ends the session, dropping an unsent draft. Lines are broken as
`wrapping` says (Chinese mixed with English).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress_bar import ProgressBar

from grading.i18n import LANGUAGES, _, gettext

from .engine import Action, PracticeEngine, Reply, ReplyKind
from .engine.engine import ASKED
from .wrapping import WrappedText

__all__ = ["TerminalPractice", "COMMANDS", "DEFAULT_GOAL"]

DEFAULT_GOAL = 5  # graded answers a session aims for when no goal is given (`mockbot practice --goal`)

COMMANDS: dict[str, Action] = {
    ":hint": Action.HINT,
    ":answer": Action.ANSWER,
    ":skip": Action.SKIP,
    ":next": Action.NEXT,
    ":followup": Action.FOLLOWUP,
    ":stats": Action.STATS,
    ":again": Action.RATE_AGAIN,
    ":hard": Action.RATE_HARD,
    ":good": Action.RATE_GOOD,
    ":easy": Action.RATE_EASY,
}
_QUIT = (":quit", ":q", ":exit")
_HELP_COMMANDS = (":help", ":h", ":?")
_OTHER = (":lang", ":topic", *_QUIT, *_HELP_COMMANDS)
_KEEP_DRAFT = (":hint", ":stats", *_HELP_COMMANDS)  # look something up while typing the answer
_COMMAND_OF = {action: command for command, action in COMMANDS.items()}
# A line that is only a command word, known or not (":tpoic python", ":foo"); an answer line that starts
# with a colon ("：因为……", ":3 取前三个") is none.
_MISTYPED = re.compile(r"^:[A-Za-z]+(\s+[\w\u4e00-\u9fff-]+)*$")
_STYLES = {"✓": "green", "✗": "red", "～": "yellow", "~": "yellow", "⚠": "magenta"}
_BULLET = re.compile(r"^\s+[·•-]\s")  # "  · 列表可变": a point under a heading of the feedback


def _readable(line: str) -> str:
    """A line as text whatever the terminal's encoding: bytes that were not UTF-8 (read as
    surrogates) are decoded as GB18030, the Chinese superset of GBK, else replaced."""
    try:
        line.encode("utf-8")
        return line
    except UnicodeEncodeError:
        raw = line.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def _joined(lines: list[str]) -> str:
    """The answer the lines make, without the paragraph breaks that end it."""
    return "\n".join(lines).rstrip("\n")


class TerminalPractice:
    """One practice session in a terminal for one user; `read_line`, `console` and `clock` are injectable."""

    def __init__(
        self,
        engine: PracticeEngine,
        user_key: str,
        *,
        console: Console,
        read_line: Callable[[str], str] = input,
        typed_ahead: Callable[[], bool] = lambda: False,
        goal: int = DEFAULT_GOAL,
        chart_dir: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    ) -> None:
        if goal < 1:
            raise ValueError(f"goal must be at least 1, got {goal}")
        self.engine = engine
        self.user_key = user_key
        self.console = console
        self.read_line = read_line
        self.typed_ahead = typed_ahead  # whether more input is already waiting: a paste goes on
        self._ahead: str | None = None  # a line read past the end of an answer, for the next read
        self._ended = False  # the input ended right after an answer was read
        self.goal = goal
        self.chart_dir = chart_dir
        self.clock = clock
        self.started_at = clock()
        self.answered = 0  # graded answers this session, follow-ups aside (as :stats counts them)
        self.number = 0  # questions shown this session
        self._current: str | None = None  # the question on screen
        self._goal_shown = False

    @property
    def language(self) -> str:
        return self.engine.language(self.user_key)

    def run(self) -> int:
        """Practise until :quit, Ctrl-C at an empty prompt or end of input; returns the exit status."""
        opening = self.engine.start(self.user_key, now=self.clock())
        self.show(opening[:-1])
        self.console.print(WrappedText(_("terminal.intro", self.language), style="dim"))
        self.show(opening[-1:])
        while True:
            try:
                text = self.read_answer()
                if text is None:
                    break
                replies = self.handle(text)
                if replies is None:
                    break
                self.show(replies)
            except KeyboardInterrupt:  # pressed while an answer was graded or shown: that step is done or undone
                self.console.print()
                self.console.print(WrappedText(_("terminal.interrupted", self.language), style="yellow"))
        self.console.print(self._panel(self.engine.session_summary(self.user_key, self.started_at, now=self.clock())))
        self.console.print(WrappedText(_("terminal.bye", self.language)))
        return 0

    # ------------------------------------------------------------------ input

    @staticmethod
    def _command(line: str) -> str | None:
        """The command a line gives (":hint", ":topic cnn" …), None if it is not a known one."""
        stripped = line.strip()
        word = stripped.split(maxsplit=1)[0].lower() if stripped.startswith(":") else ""
        return stripped if word in COMMANDS or word in _OTHER else None

    def read_answer(self) -> str | None:
        """An answer (lines up to an empty one) or a command; None to end the session.

        A known command acts on any line; one that looks something up (`_KEEP_DRAFT`) is carried
        out here and the answer goes on, the others drop the lines typed so far and say so. An
        empty line with more input already waiting (`typed_ahead`: a paste) ends the answer only
        if what follows is a known command or nothing; any other line that follows (":param …"
        included) is the answer's next paragraph.
        """
        lines: list[str] = []
        paused = False  # an empty line came with more input waiting: a paste's paragraph break, or the end
        while True:
            try:
                line = self._next_line("> " if not lines else "… ")
            except EOFError:
                if paused:  # ended by its empty line before the input ended: sent, as typed
                    self._ended = True
                    return _joined(lines)
                if lines:
                    self.console.print()
                    self.console.print(WrappedText(_("terminal.dropped", self.language), style="yellow"))
                return None
            except KeyboardInterrupt:
                self.console.print()
                lines, paused = [], False
                self.console.print(WrappedText(_("terminal.interrupted", self.language), style="yellow"))
                continue
            if not line.strip():
                if lines and self.typed_ahead():
                    paused = True
                    continue
                return _joined(lines)
            if paused:
                paused = False
                if self._command(line) is not None:  # a command after the answer: the answer is sent first
                    self._ahead = line
                    return _joined(lines)
                # The paste goes on, paragraph break kept; a line like ":param …" is its text, not a mistyped command.
                lines += ["", line]
                continue
            if not lines and line.strip().startswith(":"):
                return line.strip()
            command = self._command(line) if lines else None
            if command is None and lines and _MISTYPED.match(line.strip()):  # ":tpoic": not part of the answer
                self.show(self.handle(line.strip().split()[0]) or [])
                self.console.print(WrappedText(_("terminal.still_typing", self.language), style="dim"))
                continue
            if command is not None:
                if command.split()[0].lower() in _KEEP_DRAFT:
                    self.show(self.handle(command) or [])
                    self.console.print(WrappedText(_("terminal.still_typing", self.language), style="dim"))
                    continue
                self.console.print(WrappedText(_("terminal.dropped", self.language), style="yellow"))
                return command
            lines.append(line)

    def _next_line(self, prompt: str) -> str:
        """The next input line, readable whatever its encoding, a Chinese input method's `：` as `:`;
        a line read ahead (`read_answer`) comes first, and nothing once the input has ended."""
        if self._ended:
            raise EOFError
        if self._ahead is not None:
            line, self._ahead = self._ahead, None
            return line
        line = _readable(self.read_line(prompt))
        if line.lstrip().startswith("："):
            line = ":" + line.lstrip()[1:]
        return line

    def handle(self, text: str) -> list[Reply] | None:
        """Carry out one input: a command, an empty line, or an answer; None to end the session."""
        now = self.clock()
        if text.startswith(":"):
            command, _space, argument = text.partition(" ")
            command = command.lower()
            if command in _QUIT:
                return None
            if command in _HELP_COMMANDS:
                return [Reply(ReplyKind.INFO, _("terminal.help", self.language))]
            if command == ":lang":
                return [self.engine.set_language(self.user_key, argument.strip())]
            if command == ":topic":
                return self._topic(argument.split())
            if command in COMMANDS:
                return self.engine.press(self.user_key, COMMANDS[command], now=now)
            return [Reply(ReplyKind.ERROR, _("terminal.unknown", self.language, command=command))]
        state = self.engine.store.chat_state(self.user_key)
        if not text.strip():
            if state.state == ASKED:  # an empty answer: ask for one, keep the question open
                return self.engine.submit(self.user_key, text, now=now)
            return [self.engine.next_question(self.user_key, now=now)]
        if state.state != ASKED:  # nothing to grade it against: say so, and how to go on
            self.console.print(WrappedText(_("terminal.not_graded", self.language), style="yellow"))
            return []
        followup = state.state == ASKED and state.followup_point is not None
        replies = self.engine.submit(self.user_key, text, now=now)
        if not followup and any(r.kind is ReplyKind.FEEDBACK for r in replies):
            self.answered += 1
        return replies

    def _topic(self, names: list[str]) -> list[Reply]:
        """`:topic` lists the topics; `:topic a b` keeps to those from now on; `:topic all` lifts it."""
        if not names:
            return [self.engine.topics(self.user_key)]
        every = {"all", *(gettext("terminal.topic_all", language).lower() for language in LANGUAGES)}
        chosen = [] if len(names) == 1 and names[0].lower() in every else names
        reply = self.engine.set_topics(self.user_key, chosen)
        if reply.kind is ReplyKind.ERROR:
            return [reply]
        state = self.engine.store.chat_state(self.user_key)
        if state.state == ASKED:
            question = self.engine.bank.get(state.question_id or "")
            if question is not None and (not chosen or question.topic in self.engine.store.user(self.user_key).topics):
                return [reply]  # the open question is on a chosen topic: answer it first
            # Off the chosen topics: skipped, and said so (a due review waits, as with :skip).
            return [reply, *self.engine.skip(self.user_key, now=self.clock())]
        return [reply, self.engine.next_question(self.user_key, now=self.clock())]

    # ------------------------------------------------------------------ rendering

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            self.render(reply)

    def render(self, reply: Reply) -> None:
        if reply.kind is ReplyKind.QUESTION:
            self._render_question(reply)
        elif reply.kind is ReplyKind.FEEDBACK:
            self.console.print(self._feedback(reply.text))
            self._render_progress()
        elif reply.kind is ReplyKind.STATS:
            self.console.print(Panel(WrappedText(reply.text), border_style="blue", expand=False))
            if reply.image and self.chart_dir is not None:
                self.chart_dir.mkdir(parents=True, exist_ok=True)
                path = self.chart_dir / f"progress-{self.user_key.replace(':', '-')}.png"
                path.write_bytes(reply.image)
                self.console.print(WrappedText(_("terminal.chart", self.language, path=path)))
        elif reply.kind is ReplyKind.ERROR:
            self.console.print(WrappedText(reply.text, style="bold red"))
        else:
            self.console.print(WrappedText(reply.text))
            for url in reply.images:
                self.console.print(WrappedText(f"🖼 {url}", style="blue underline"))
        if reply.buttons:
            keys = "  ".join(f"{_COMMAND_OF[b.action]} {b.label}" for b in reply.buttons if b.action in _COMMAND_OF)
            self.console.print(WrappedText(keys, style="dim"))

    def _render_question(self, reply: Reply) -> None:
        """A question in a box titled with its number in this session (a follow-up keeps it)."""
        if reply.question_id != self._current:
            self.number += 1
            self._current = reply.question_id
        header, _gap, body = reply.text.partition("\n\n") if "\n\n" in reply.text else ("", "", reply.text)
        head = header.strip().splitlines()
        question = self.engine.bank.get(reply.question_id or "")
        if head and question is not None:
            head[-1] = self.engine.question_title(question, self.language, self.number)
        content = WrappedText(body.strip())
        for url in reply.images:
            content.append(f"\n🖼 {url}", style="blue underline")
        if len(head) > 1:  # "Picking up the question you left open:" goes above the box
            self.console.print(WrappedText("\n".join(head[:-1]), style="dim"))
        self.console.print(Panel(content, title=head[-1] if head else None, border_style="cyan", expand=False))

    def _render_progress(self) -> None:
        done = self.answered
        if done < self.goal:
            label = _("terminal.session", self.language, done=done, goal=self.goal)
        else:
            label = _("terminal.session_over", self.language, done=done, goal=self.goal)
        self.console.print(WrappedText(label, style="bold"))
        self.console.print(ProgressBar(total=self.goal, completed=min(done, self.goal), width=30))
        if done == self.goal and not self._goal_shown:
            self._goal_shown = True
            self.console.line()  # the bar does not end its line
            self.console.print(self._panel(self.engine.session_summary(self.user_key, self.started_at, now=self.clock())))
            self.console.print(WrappedText(_("terminal.goal", self.language, goal=self.goal), style="bold green"))
        self.console.line()

    @staticmethod
    def _panel(reply: Reply) -> Panel:
        return Panel(WrappedText(reply.text), border_style="green", expand=False)

    @staticmethod
    def _feedback(text: str) -> Group:
        parts: list[WrappedText] = []
        # A long Chinese point wraps inside its line, never right after its label.
        text = text.replace(": ", ":\u00a0")
        for number, line in enumerate(text.splitlines()):
            style = "bold" if number == 0 else _STYLES.get(line.strip()[:1], "")
            bullet = _BULLET.match(line)
            # A wrapped point goes on under its own text, not under the bullet.
            parts.append(WrappedText(line, style, hang=cell_len(bullet.group(0)) if bullet else 0))
        return Group(*parts)
