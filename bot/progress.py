"""What the user has achieved: totals, a daily streak, mastery per topic, and a chart of it.

`progress(...)` is pure: attempts, questions and review states in, a `Progress` out. Days are
counted in the user's own time zone. `chart_png(...)` draws a `Progress` as PNG bytes with
matplotlib's Agg canvas (no pyplot, no global state, nothing written to disk).
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from grading.i18n import LANGUAGES, N_, gettext, ngettext

from .scheduling import PASS_SCORE, AttemptLike, QuestionLike, ReviewState, _utc

if TYPE_CHECKING:
    from questions.taxonomy import Taxonomy

__all__ = ["TopicProgress", "Progress", "progress", "chart_png", "find_cjk_font"]


@dataclass(frozen=True)
class TopicProgress:
    """How one topic is going.

    Attributes:
        topic: the topic id.
        attempts: replies to the topic's questions.
        average: their average score (0-100; 0.0 when there are none).
        mastery: 0-1, the share of the topic's answered questions whose latest score is at least
            `PASS_SCORE` (a question never tried counts as not mastered).
        due: the topic's questions whose review is due now.
    """

    topic: str
    attempts: int
    average: float
    mastery: float
    due: int


@dataclass(frozen=True)
class Progress:
    """The user's progress as of one moment.

    Attributes:
        attempts: all replies so far.
        average: their average score (0.0 when there are none).
        streak_days: consecutive local days with a reply, ending today (or yesterday when there
            is none yet today, so the streak is not lost before the day is over).
        practiced_today: replies on the local day of `now`.
        topics: per topic, the weakest first; topics never tried come last.
        history: (local day, average score that day), oldest first; only days with replies.
    """

    attempts: int
    average: float
    streak_days: int
    practiced_today: int
    topics: list[TopicProgress]
    history: list[tuple[date, float]]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def progress(
    attempts: Sequence[AttemptLike],
    questions: Mapping[str, QuestionLike] | Sequence[QuestionLike],
    reviews: Sequence[ReviewState],
    *,
    now: datetime,
    timezone: str,
) -> Progress:
    """Summarise the user's attempts as of `now`.

    Args:
        attempts: the user's graded replies; those after `now` are left out.
        questions: the bank (a sequence, or a mapping by id). Only topics with at least one
            answered question are listed; attempts at unknown questions count in the totals only.
        reviews: the user's review states (for the number due per topic).
        now: the current time (timezone-aware).
        timezone: the user's IANA time zone, e.g. "Asia/Shanghai"; days are local days.

    Raises:
        ValueError: a naive datetime, or an unknown time zone.
    """
    when = _utc(now)
    zone = _zone(timezone)
    today = when.astimezone(zone).date()
    bank = list(questions.values()) if isinstance(questions, Mapping) else list(questions)
    by_id = {q.id: q for q in bank}
    done = [a for a in attempts if _utc(a.created_at, "created_at") <= when]
    done.sort(key=lambda a: _utc(a.created_at))

    per_day: dict[date, list[float]] = {}
    for attempt in done:
        per_day.setdefault(_utc(attempt.created_at).astimezone(zone).date(), []).append(attempt.score)
    day = today if today in per_day else today - timedelta(days=1)
    streak = 0
    while day in per_day:
        streak += 1
        day -= timedelta(days=1)

    return Progress(
        attempts=len(done),
        average=_mean([a.score for a in done]),
        streak_days=streak,
        practiced_today=len(per_day.get(today, [])),
        topics=_topics(done, bank, by_id, reviews, when),
        history=[(d, _mean(scores)) for d, scores in sorted(per_day.items())],
    )


def _topics(
    done: Sequence[AttemptLike],
    bank: Sequence[QuestionLike],
    by_id: Mapping[str, QuestionLike],
    reviews: Sequence[ReviewState],
    when: datetime,
) -> list[TopicProgress]:
    """Per-topic progress, weakest first; `done` is sorted oldest first."""
    answered: dict[str, set[str]] = {}
    for question in bank:
        if question.answered:
            answered.setdefault(question.topic, set()).add(question.id)
    scores: dict[str, list[float]] = {topic: [] for topic in answered}
    latest: dict[str, float] = {}
    for attempt in done:
        question = by_id.get(attempt.question_id)
        if question is not None and question.topic in scores:
            scores[question.topic].append(attempt.score)
            latest[attempt.question_id] = attempt.score  # oldest first: the last one wins
    due: dict[str, int] = {}
    for state in reviews:
        question = by_id.get(state.question_id)
        if question is not None and question.id in answered.get(question.topic, ()) and state.due <= when:
            due[question.topic] = due.get(question.topic, 0) + 1
    rows = [
        TopicProgress(
            topic=topic,
            attempts=len(scores[topic]),
            average=_mean(scores[topic]),
            mastery=sum(1 for qid in ids if latest.get(qid, -1.0) >= PASS_SCORE) / len(ids),
            due=due.get(topic, 0),
        )
        for topic, ids in answered.items()
    ]
    return sorted(rows, key=lambda t: (t.attempts == 0, t.mastery, t.average, t.topic))


# ---------------------------------------------------------------- chart

MIN_WIDTH, MIN_HEIGHT = 300, 200

_CJK_NAME = re.compile(
    r"CJK|WenQuanYi|WQY|Source Han|Sarasa|YaHei|PingFang|Hei|Song|Kai|Ming|Fallback|\b(?:SC|TC|HK|JP|KR)\b",
    re.IGNORECASE,
)

_CHART_TEXTS = {  # the chart's texts: name -> the catalog's message
    "mastery": N_("chart.mastery"),
    "history": N_("chart.history"),
    "empty": N_("chart.empty"),
    "summary": N_("chart.summary"),
    "pass": N_("chart.pass"),
    "title": N_("chart.title"),
    "untried": N_("chart.untried"),
}


def _chart_texts(language: str) -> dict[str, str]:
    """The chart's texts in `language`, by name, placeholders unfilled."""
    return {name: gettext(msgid, language) for name, msgid in _CHART_TEXTS.items()}


def find_cjk_font() -> str | None:
    """The file of an installed font that can draw Chinese, or None.

    Fonts whose name suggests CJK (Noto Sans CJK, Source Han, WenQuanYi, *Hei, *Song, "SC", ...)
    are tried, sans-serif regular faces first, and the first that really has Chinese glyphs wins.
    matplotlib lists the fonts that were installed when it built its font cache; when none of
    them can draw Chinese, the system's fonts are looked at once more (once per process), so a
    font installed since then is found.
    """
    from matplotlib import font_manager

    found = _cjk_font_in(font_manager.fontManager.ttflist)
    if found is None and _add_fonts_installed_since_the_cache():
        found = _cjk_font_in(font_manager.fontManager.ttflist)
    return found


def _cjk_font_in(fonts: Sequence[Any]) -> str | None:
    """The first of `fonts` (matplotlib's font entries) that looks CJK and has Chinese glyphs."""
    from matplotlib import ft2font

    candidates = [f for f in fonts if _CJK_NAME.search(f.name)]
    regular = ("400", "normal", "regular")
    candidates.sort(key=lambda f: (not re.search(r"Sans|Hei", f.name, re.I), str(f.weight).lower() not in regular, f.name, f.fname))
    for entry in candidates:
        try:
            if ft2font.FT2Font(entry.fname).get_char_index(ord("掌")):
                return entry.fname
        except (OSError, RuntimeError, ValueError):
            continue
    return None


_rescanned = threading.Event()  # set once the system's fonts have been looked at again
_rescan_lock = threading.Lock()


def _add_fonts_installed_since_the_cache() -> bool:
    """Add the system's fonts matplotlib does not know yet to its font list (public API:
    `findSystemFonts` and `FontManager.addfont`); done once per process. True if any was added."""
    from matplotlib import font_manager

    with _rescan_lock:
        if _rescanned.is_set():
            return False
        _rescanned.set()
        manager = font_manager.fontManager
        known = {entry.fname for entry in manager.ttflist}
        added = False
        for path in font_manager.findSystemFonts():
            if path in known:
                continue
            try:
                manager.addfont(path)
                added = True
            except (OSError, RuntimeError, ValueError):  # an unreadable or broken font file
                continue
        return added


def chart_png(p: Progress, *, taxonomy: Taxonomy, language: str = "zh", width: int = 800, height: int = 500) -> bytes:
    """Draw `p` as a PNG of `width` x `height` pixels and return its bytes.

    Two panels: mastery per topic (horizontal bars, the weakest on top, topic names from the
    taxonomy in `language`) and the daily average score (a line, with the pass score dashed).
    With no attempts the chart still renders, with a "No practice yet" note.

    Chinese needs a CJK font (see `find_cjk_font`). When none is installed, a "zh" chart falls
    back to English titles and topic ids (plain ASCII), so it never shows tofu boxes.

    Raises:
        ValueError: an unknown `language`, or a size under `MIN_WIDTH` x `MIN_HEIGHT`.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, DateFormatter
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {sorted(LANGUAGES)}, got {language!r}")
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise ValueError(f"chart size {width}x{height} is too small (at least {MIN_WIDTH}x{MIN_HEIGHT})")
    font_file = find_cjk_font() if language == "zh" else None
    texts, name = _wording(taxonomy, language, font_file)
    font = FontProperties(fname=font_file) if font_file else FontProperties()

    dpi = 100
    fig = Figure(figsize=(width / dpi, height / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    bars, line = fig.subplots(1, 2, width_ratios=(1, 1.2))
    fig.suptitle(_title(texts, p, _shown(language, font_file)), fontproperties=font, fontsize=13)

    bars.set_title(texts["mastery"], fontproperties=font)
    bars.set_xlim(0, 100)
    bars.xaxis.set_major_formatter("{x:.0f}%")
    if p.topics:
        rows = list(reversed(p.topics))  # barh draws bottom-up: the weakest ends on top
        values = [t.mastery * 100 for t in rows]
        positions = range(len(rows))
        bars.barh(positions, values, color=[_colour(v) for v in values])
        bars.set_yticks(list(positions), [name(t.topic) for t in rows], fontproperties=font)
        for y, value, row in zip(positions, values, rows):
            label = f"{value:.0f}%" if row.attempts else texts["untried"]
            inside = value > 85  # no room right of the bar: write on it
            bars.text(value - 2 if inside else value + 2, y, label, va="center", ha="right" if inside else "left",
                      fontsize=8, fontproperties=font, color="white" if inside else "black" if row.attempts else "#999999")
    else:
        bars.set_yticks([])
        _note(bars, texts["empty"], font)

    line.set_title(texts["history"], fontproperties=font)
    line.set_ylim(0, 100)
    line.axhline(PASS_SCORE, color="#999999", linestyle="--", linewidth=1)
    line.text(0.01, PASS_SCORE + 1, texts["pass"], transform=line.get_yaxis_transform(),
              fontproperties=font, fontsize=8, color="#777777")
    if p.history:
        days = [datetime(d.year, d.month, d.day) for d, _ in p.history]
        line.plot(days, [avg for _, avg in p.history], marker="o", color="#3b6fb6")
        if len(days) == 1:
            line.set_xlim(days[0] - timedelta(days=1), days[0] + timedelta(days=1))
        line.xaxis.set_major_locator(AutoDateLocator(minticks=2, maxticks=6))
        line.xaxis.set_major_formatter(DateFormatter("%m-%d"))
    else:
        line.set_xticks([])
        _note(line, texts["empty"], font)
    line.grid(axis="y", alpha=0.3)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _title(texts: Mapping[str, str], p: Progress, language: str) -> str:
    """The chart's title in `language` (that of `texts`): "1 answer · average 80 · 2-day streak"."""
    if not p.attempts:
        return texts["title"]
    answers = ngettext("answers", "answers", p.attempts, language).format(n=p.attempts)
    return texts["summary"].format(answers=answers, avg=p.average, streak=p.streak_days)


def _shown(language: str, font_file: str | None) -> str:
    """The language the chart is written in: Chinese only with a CJK font, else English."""
    return "en" if language == "zh" and font_file is None else language


def _wording(taxonomy: Taxonomy, language: str, font_file: str | None) -> tuple[dict[str, str], Callable[[str], str]]:
    """The chart's texts and topic namer: Chinese only with a CJK font, else English and ids."""
    if _shown(language, font_file) != language:
        return _chart_texts("en"), lambda topic_id: topic_id  # ASCII ids rather than tofu boxes

    def name(topic_id: str) -> str:
        topic = taxonomy.by_id.get(topic_id)
        return topic.name(language) if topic else topic_id

    return _chart_texts(language), name


def _colour(percent: float) -> str:
    """Red for weak, amber for middling, green for mastered."""
    return "#d9534f" if percent < 40 else "#f0ad4e" if percent < 70 else "#5cb85c"


def _note(ax, text: str, font) -> None:  # noqa: ANN001 - matplotlib Axes / FontProperties
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center",
            fontproperties=font, fontsize=12, color="#777777")
