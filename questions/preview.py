"""What an import would write, for checking before a bank file is written: the questions and
answers found, their topics and key points, and the lines skipped (with why) or not placed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .importer import SeedResult
from .importers.notes.patterns import Pattern
from .lint import lint_question
from .kinds import AnswerKind
from .model import Question

__all__ = ["LineRun", "ImportPreview", "preview_of", "render_preview", "answered_counts", "PREVIEW_QUESTIONS"]

PREVIEW_QUESTIONS = 5  # questions shown in full; the rest are counted
_TEXT_WIDTH = 72
_POINTS_SHOWN = 3


@dataclass(frozen=True)
class LineRun:
    """Consecutive skipped lines (blank lines between them aside) that share a reason."""

    first: int
    last: int
    reason: str
    text: str  # the first line, as a reminder of what was skipped
    count: int = 1  # skipped lines in the run (blank lines are not counted)

    @property
    def span(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}-{self.last}"


@dataclass
class ImportPreview:
    source: str
    format: str
    structure: str  # how the questions were recognised ("" for the seed formats)
    bank_path: Path
    new_file: bool
    changed: bool
    questions: list[Question] = field(default_factory=list)
    skipped: list[LineRun] = field(default_factory=list)
    unplaced: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    to_review: int = 0  # key points the lint would flag (`mockbot bank validate` lists them)
    pattern: Pattern | None = None  # `structure` as data, when it is a notes pattern (for front-ends that word it)

    @property
    def answered(self) -> int:
        return sum(1 for q in self.questions if q.answered)

    @property
    def link_only(self) -> int:
        """Answered only by a link (or "see …" and links): not graded, counted apart."""
        return sum(1 for q in self.questions if q.answer_kind is AnswerKind.LINK and not q.gradable)

    @property
    def open(self) -> int:
        return len(self.questions) - self.answered

    @property
    def skipped_lines(self) -> int:
        return sum(run.count for run in self.skipped)


def _runs(skipped: dict[int, str], lines: list[str]) -> list[LineRun]:
    runs: list[LineRun] = []
    for number in sorted(skipped):
        reason = skipped[number]
        if runs and runs[-1].reason == reason and all(not lines[k - 1].strip() for k in range(runs[-1].last + 1, number)):
            runs[-1] = LineRun(runs[-1].first, number, reason, runs[-1].text, runs[-1].count + 1)
        else:
            runs.append(LineRun(number, number, reason, lines[number - 1].strip() if number <= len(lines) else ""))
    return runs


def preview_of(result: SeedResult, lines: list[str]) -> ImportPreview:
    """The preview of an import that was run without writing (`import_seed(..., write=False)`);
    `lines` are the source's lines, for quoting what was skipped."""
    parsed = result.parsed
    structure = getattr(parsed, "structure", "")
    skipped = {n: r for n, r in (parsed.skipped.items() if parsed else ()) if n <= len(lines) and lines[n - 1].strip()}
    return ImportPreview(
        source=result.seed.name,
        format=result.format,
        structure=structure,
        bank_path=result.bank_path,
        new_file=result.new_file,
        changed=result.changed,
        questions=list(result.merged),
        skipped=_runs(skipped, lines),
        unplaced=list(result.unaccounted),
        notes=list(getattr(parsed, "notes", [])),
        to_review=sum(1 for q in result.merged for loc, _ in lint_question(q) if loc.startswith("key_points")),
        pattern=getattr(parsed, "pattern", None),
    )


def answered_counts(answered: int, link_only: int, unanswered: int) -> str:
    """"9 answered, 1 unanswered", with the answers that are only a link counted apart."""
    if not link_only:
        return f"{answered} answered, {unanswered} unanswered"
    return f"{answered - link_only} answered, {link_only} only a link (not graded), {unanswered} unanswered"


def _clip(text: str, width: int = _TEXT_WIDTH) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _first_line(markdown: str) -> tuple[str, int]:
    lines = [line.strip() for line in markdown.split("\n") if line.strip()]
    return (lines[0] if lines else ""), max(0, len(lines) - 1)


def render_preview(preview: ImportPreview, *, limit: int = PREVIEW_QUESTIONS) -> list[str]:
    """The preview as lines of text (English, like the other `mockbot bank` output)."""
    if not preview.new_file:
        state = "would change the existing file" if preview.changed else "the existing file is up to date"
    else:
        state = "a new file"
    out = [
        f"{preview.source} ({preview.format}) -> {preview.bank_path}: {len(preview.questions)} questions, "
        f"{answered_counts(preview.answered, preview.link_only, preview.open)}; {state}, nothing written (preview)"
    ]
    if preview.structure:
        out.append(f"  questions: {preview.structure}; answers: the content under each question")
    for note in preview.notes:
        out.append(f"  note: {note}")
    if not preview.questions:
        return out
    topics = Counter(q.topic for q in preview.questions)
    kinds = Counter(q.answer_kind.value for q in preview.questions)
    out.append("  topics: " + ", ".join(f"{topic} {count}" for topic, count in topics.most_common()))
    out.append("  answers: " + ", ".join(f"{kind} {count}" for kind, count in kinds.most_common()))
    shown = preview.questions[:limit]
    out.append(f"  the first {len(shown)}:" if len(shown) < len(preview.questions) else "  all of them:")
    for number, question in enumerate(shown, start=1):
        out.append(f"    {number}. [{question.topic}] {_clip(question.question)}  (line {question.line})")
        if question.answered:
            first, more = _first_line(question.answer)
            if question.answer_kind is AnswerKind.LINK and not question.gradable:
                out.append(f"       answer (link): {_clip(first, 60)}  (only a link: no key points, not graded)")
                continue
            extra = f"  (+{more} more line{'s' if more != 1 else ''})" if more else ""
            out.append(f"       answer ({question.answer_kind.value}): {_clip(first, 60)}{extra}")
            points = [_clip(p.text, 40) for p in question.key_points[:_POINTS_SHOWN]]
            rest = len(question.key_points) - len(points)
            out.append(
                f"       key points ({len(question.key_points)}): "
                + " | ".join(points)
                + (f" | … {rest} more" if rest > 0 else "")
            )
        else:
            out.append("       no answer: kept as an open question (practised, never graded)")
    if len(preview.questions) > limit:
        out.append(f"    … and {len(preview.questions) - limit} more")
    if preview.to_review:
        out.append(
            f"  key points: {preview.to_review} finding(s) to review, extracted points are a starting point "
            "(`mockbot bank validate` lists them once imported)"
        )
    if preview.skipped:
        out.append(f"  skipped {preview.skipped_lines} line(s), not questions or answers:")
        width = max(len(run.span) for run in preview.skipped)
        for run in preview.skipped:
            out.append(f"    {run.span:<{width}}  {run.reason}: {_clip(run.text, 48)}")
    if preview.unplaced:
        out.append(f"  not placed: {len(preview.unplaced)} line(s) that are neither a question nor an answer:")
        for line, text in preview.unplaced:
            out.append(f"    {line}: {_clip(text, 64)}")
    return out
