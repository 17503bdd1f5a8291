"""Terminal practice mode: the practice engine behind a small REPL (rich rendering).

Type the answer over as many lines as you like and end it with an empty line. Commands go on a
line of their own: :hint :answer :skip :next :followup :stats :easy :hard :lang en|zh :quit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.text import Text

from .engine import Action, PracticeEngine, Reply, ReplyKind
from .engine.engine import FEEDBACK

__all__ = ["TerminalPractice", "COMMANDS"]

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
_COMMAND_OF = {action: command for command, action in COMMANDS.items()}
_STYLES = {"✓": "green", "✗": "red", "～": "yellow", "⚠": "magenta"}
_HELP = {
    "zh": "多行作答，空行结束；命令：:hint 提示 · :answer 看答案 · :skip 跳过 · :stats 进度 · :quit 退出",
    "en": "Answer over several lines, end with an empty line; :hint · :answer · :skip · :stats · :quit",
}
_SESSION = {"zh": "本次练习 {done}/{goal} 题", "en": "This session: {done}/{goal}"}
_CHART = {"zh": "进度图已保存：{path}", "en": "Progress chart saved: {path}"}
_BYE = {"zh": "再见！进度已保存。", "en": "Bye! Your progress is saved."}


class TerminalPractice:
    """One practice session in a terminal for one user; `read_line` and `console` are injectable."""

    def __init__(
        self,
        engine: PracticeEngine,
        user_key: str,
        *,
        console: Console,
        read_line: Callable[[str], str] = input,
        goal: int = 5,
        topic: str | None = None,
        chart_dir: Path | None = None,
    ) -> None:
        self.engine = engine
        self.user_key = user_key
        self.console = console
        self.read_line = read_line
        self.goal = goal
        self.topic = topic
        self.chart_dir = chart_dir
        self.answered = 0

    @property
    def language(self) -> str:
        return self.engine.language(self.user_key)

    def run(self) -> int:
        """Practise until :quit or end of input; returns the exit status."""
        self.console.print(Text(_HELP[self.language], style="dim"))
        opening = self.engine.start(self.user_key) if self.topic is None else [self.engine.resume(self.user_key) or self.engine.next_question(self.user_key, self.topic)]
        self.show(opening)
        while True:
            answer = self.read_answer()
            if answer is None:
                break
            replies = self.handle(answer)
            if replies is None:
                break
            self.show(replies)
        self.console.print(_BYE[self.language])
        return 0

    def read_answer(self) -> str | None:
        """Lines up to an empty one (a command is one line on its own); None at end of input."""
        lines: list[str] = []
        while True:
            try:
                line = self.read_line("> " if not lines else "… ")
            except (EOFError, KeyboardInterrupt):
                return None if not lines else "\n".join(lines)
            if not lines and line.strip().startswith(":"):
                return line.strip()
            if not line.strip():
                return "\n".join(lines)
            lines.append(line)

    def handle(self, text: str) -> list[Reply] | None:
        """Dispatch one input: a command, Enter (next question after feedback), or an answer."""
        if text.startswith(":"):
            command, _, argument = text.partition(" ")
            if command in (":quit", ":q", ":exit"):
                return None
            if command == ":lang":
                return [self.engine.set_language(self.user_key, argument.strip())]
            if command == ":topic":
                return [self.engine.next_question(self.user_key, argument.strip() or None)]
            if command in COMMANDS:
                return self.engine.press(self.user_key, COMMANDS[command])
            return [Reply(ReplyKind.ERROR, _HELP[self.language])]
        if not text.strip():
            if self.engine.store.chat_state(self.user_key).state == FEEDBACK:
                return [self.engine.next_question(self.user_key, self.topic)]
            return [self.engine.resume(self.user_key) or self.engine.next_question(self.user_key, self.topic)]
        replies = self.engine.submit(self.user_key, text)
        if any(r.kind is ReplyKind.FEEDBACK for r in replies):
            self.answered += 1
        return replies

    # ------------------------------------------------------------------ rendering

    def show(self, replies: list[Reply]) -> None:
        for reply in replies:
            self.render(reply)

    def render(self, reply: Reply) -> None:
        if reply.kind is ReplyKind.QUESTION:
            header, _, body = reply.text.partition("\n\n") if "\n\n" in reply.text else ("", "", reply.text)
            content = Text(body.strip())
            for url in reply.images:
                content.append(f"\n🖼 {url}", style="blue underline")
            self.console.print(Panel(content, title=header.strip() or None, border_style="cyan", expand=False))
        elif reply.kind is ReplyKind.FEEDBACK:
            self.console.print(self._feedback(reply.text))
            done = min(self.answered, self.goal)
            bar = ProgressBar(total=max(self.goal, self.answered), completed=done, width=30)
            label = Text(_SESSION[self.language].format(done=self.answered, goal=self.goal), style="bold")
            self.console.print(label)
            self.console.print(bar)
            self.console.line()
        elif reply.kind is ReplyKind.STATS:
            self.console.print(Panel(Text(reply.text), border_style="blue", expand=False))
            if reply.image and self.chart_dir is not None:
                self.chart_dir.mkdir(parents=True, exist_ok=True)
                path = self.chart_dir / f"progress-{self.user_key.replace(':', '-')}.png"
                path.write_bytes(reply.image)
                self.console.print(_CHART[self.language].format(path=path))
        elif reply.kind is ReplyKind.ERROR:
            self.console.print(Text(reply.text, style="bold red"))
        else:
            self.console.print(Text(reply.text))
        if reply.buttons:
            keys = "  ".join(f"{_COMMAND_OF[b.action]} {b.label}" for b in reply.buttons if b.action in _COMMAND_OF)
            self.console.print(Text(keys, style="dim"))

    @staticmethod
    def _feedback(text: str) -> Text:
        out = Text()
        for number, line in enumerate(text.splitlines()):
            style = "bold" if number == 0 else _STYLES.get(line.strip()[:1], "")
            out.append(line + "\n", style=style)
        return out
