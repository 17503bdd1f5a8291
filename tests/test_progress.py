"""Progress summaries (local days, streaks, mastery) and the progress chart."""

from __future__ import annotations

import dataclasses

import os
import struct
import subprocess
import sys
import warnings
import zlib
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from stand_ins import A, Q

import bot.progress as progress_module
from bot.progress import Progress, TopicProgress, chart_png, find_cjk_font, progress
from bot.scheduling import rating_for, review

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
REPO = Path(__file__).resolve().parents[1]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


# ---------------------------------------------------------------- days and streaks


def test_local_days_decide_the_streak_shanghai_vs_utc() -> None:
    questions = [Q("q", "ml")]
    attempts = [
        A("q", 70, utc("2025-12-31T10:00")),  # Dec 31 everywhere
        A("q", 80, utc("2026-01-01T03:00")),  # Jan 1 everywhere (11:00 in Shanghai)
        A("q", 90, utc("2026-01-01T17:30")),  # Jan 1 in UTC, but 01:30 on Jan 2 in Shanghai
    ]
    now = utc("2026-01-02T03:00")  # Jan 2 in both

    shanghai = progress(attempts, questions, [], now=now, timezone="Asia/Shanghai")
    assert shanghai.streak_days == 3
    assert shanghai.practiced_today == 1
    assert shanghai.history == [(date(2025, 12, 31), 70.0), (date(2026, 1, 1), 80.0), (date(2026, 1, 2), 90.0)]

    in_utc = progress(attempts, questions, [], now=now, timezone="UTC")
    assert in_utc.streak_days == 2  # nothing yet today: the streak ends yesterday and still counts
    assert in_utc.practiced_today == 0
    assert in_utc.history == [(date(2025, 12, 31), 70.0), (date(2026, 1, 1), 85.0)]


def test_a_missed_day_breaks_the_streak() -> None:
    questions = [Q("q", "ml")]
    attempts = [A("q", 70, utc("2026-01-01T10:00")), A("q", 70, utc("2026-01-02T10:00"))]
    assert progress(attempts, questions, [], now=utc("2026-01-03T23:00"), timezone="UTC").streak_days == 2
    assert progress(attempts, questions, [], now=utc("2026-01-04T00:30"), timezone="UTC").streak_days == 0
    # Still Jan 3 in New York: yesterday (Jan 2) keeps the streak alive.
    assert progress(attempts, questions, [], now=utc("2026-01-04T00:30"), timezone="America/New_York").streak_days == 2


def test_attempts_after_now_are_left_out() -> None:
    attempts = [A("q", 50, T0), A("q", 100, T0 + timedelta(hours=1))]
    p = progress(attempts, [Q("q", "ml")], [], now=T0, timezone="UTC")
    assert (p.attempts, p.average) == (1, 50.0)


# ---------------------------------------------------------------- mastery and averages


def test_mastery_averages_and_order() -> None:
    questions = [
        Q("ml-1", "ml"), Q("ml-2", "ml"), Q("ml-open", "ml", answered=False),
        Q("py-1", "python"),
        Q("cnn-1", "cnn-vision"),
        Q("dl-open", "dl-basics", answered=False),  # no answered question: not listed
    ]
    attempts = [
        A("ml-1", 40, T0), A("ml-1", 80, T0 + timedelta(hours=1)),  # latest passes
        A("ml-2", 90, T0), A("ml-2", 50, T0 + timedelta(hours=1)),  # latest fails
        A("py-1", 30, T0),
        A("gone", 100, T0),  # a question no longer in the bank: totals only
    ]
    reviews = [
        review(None, "ml-2", rating_for(50), now=T0),  # due 10 minutes later
        review(None, "py-1", rating_for(90), now=T0),  # due in days
    ]
    now = T0 + timedelta(hours=2)
    p = progress(attempts, {q.id: q for q in questions}, reviews, now=now, timezone="Asia/Shanghai")

    assert p.attempts == 6
    assert p.average == pytest.approx((40 + 80 + 90 + 50 + 30 + 100) / 6)
    assert p.topics == [
        TopicProgress("python", attempts=1, average=30.0, mastery=0.0, due=0),
        TopicProgress("ml", attempts=4, average=65.0, mastery=0.5, due=1),
        TopicProgress("cnn-vision", attempts=0, average=0.0, mastery=0.0, due=0),  # untried: last
    ]
    assert progress(attempts, questions, reviews, now=now, timezone="Asia/Shanghai") == p  # a list works too


def test_no_attempts() -> None:
    p = progress([], [Q("q", "ml")], [], now=T0, timezone="Europe/Berlin")
    assert p == Progress(0, 0.0, 0, 0, [TopicProgress("ml", 0, 0.0, 0.0, 0)], [])


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        progress([], [], [], now=datetime(2026, 1, 1), timezone="UTC")
    with pytest.raises(ValueError, match="timezone-aware"):
        progress([A("q", 50, datetime(2026, 1, 1))], [], [], now=T0, timezone="UTC")
    with pytest.raises(ValueError, match="time zone"):
        progress([], [], [], now=T0, timezone="Mars/Olympus_Mons")


# ---------------------------------------------------------------- chart


def png_size(data: bytes) -> tuple[int, int]:
    """Check the PNG signature and the IHDR chunk; return (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    assert struct.unpack(">I", data[29:33])[0] == zlib.crc32(data[12:29])
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def sample() -> Progress:
    questions = [Q("ml-1", "ml"), Q("ml-2", "ml"), Q("py-1", "python"), Q("tr-1", "transformer-nlp")]
    attempts = [A("ml-1", 80 - 5 * i, T0 - timedelta(days=i)) for i in range(6)] + [A("py-1", 40, T0)]
    return progress(attempts, questions, [], now=T0, timezone="Asia/Shanghai")


def draw(*args, **kwargs) -> bytes:  # noqa: ANN002, ANN003
    """chart_png, failing on any matplotlib warning (a missing glyph would be a tofu box)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return chart_png(*args, **kwargs)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_chart_is_a_png_of_the_requested_size(sample: Progress, taxonomy, language: str) -> None:  # noqa: ANN001
    assert png_size(draw(sample, taxonomy=taxonomy, language=language)) == (800, 500)
    assert png_size(draw(sample, taxonomy=taxonomy, language=language, width=640, height=401)) == (640, 401)


def test_chart_of_empty_progress(taxonomy) -> None:  # noqa: ANN001
    empty = progress([], [], [], now=T0, timezone="UTC")
    for language in ("zh", "en"):
        assert png_size(draw(empty, taxonomy=taxonomy, language=language)) == (800, 500)


def test_chart_without_a_cjk_font_falls_back_to_ascii(sample: Progress, taxonomy, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(progress_module, "find_cjk_font", lambda: None)
    assert png_size(draw(sample, taxonomy=taxonomy, language="zh")) == (800, 500)
    texts, name = progress_module._wording(taxonomy, "zh", None)
    assert name("transformer-nlp") == "transformer-nlp"
    assert all(text.isascii() for text in texts.values() if "·" not in text)


def test_chart_names_topics_in_the_chosen_language(taxonomy) -> None:  # noqa: ANN001
    zh_texts, zh_name = progress_module._wording(taxonomy, "zh", "/fonts/some-cjk.ttc")
    en_texts, en_name = progress_module._wording(taxonomy, "en", None)
    assert (zh_name("transformer-nlp"), en_name("transformer-nlp")) == ("Transformer与NLP", "Transformers & NLP")
    assert (zh_texts["mastery"], en_texts["mastery"]) == ("各主题掌握度", "Mastery by topic")
    assert (zh_texts["empty"], en_texts["empty"]) == ("还没有练习记录", "No practice yet")
    assert en_name("not-a-topic") == "not-a-topic"


def test_chart_title_counts_answers_in_the_right_plural(sample: Progress) -> None:  # noqa: ANN001
    one = dataclasses.replace(sample, attempts=1)
    assert progress_module._title(progress_module._chart_texts("en"), one, "en").startswith("1 answer ·")
    assert progress_module._title(progress_module._chart_texts("en"), sample, "en").startswith(f"{sample.attempts} answers ·")
    assert progress_module._title(progress_module._chart_texts("zh"), one, "zh").startswith("共练习 1 次 ·")


def test_the_tofu_check_has_teeth(sample: Progress, taxonomy, monkeypatch) -> None:  # noqa: ANN001
    """Chinese text in a font without Chinese glyphs warns, so `draw` would catch tofu boxes."""
    monkeypatch.setattr(progress_module, "find_cjk_font", lambda: None)
    monkeypatch.setattr(progress_module, "_wording", lambda t, lang, f: (progress_module._chart_texts("zh"), str))
    with pytest.warns(UserWarning, match="missing from font"):
        chart_png(sample, taxonomy=taxonomy, language="zh")


def test_find_cjk_font_finds_a_font_with_chinese_glyphs_or_none() -> None:
    from matplotlib import ft2font

    found = find_cjk_font()
    assert found is None or ft2font.FT2Font(found).get_char_index(ord("中"))


def test_chart_rejects_bad_arguments(sample: Progress, taxonomy) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="language"):
        chart_png(sample, taxonomy=taxonomy, language="fr")
    with pytest.raises(ValueError, match="too small"):
        chart_png(sample, taxonomy=taxonomy, width=50)


def test_chart_never_touches_pyplot() -> None:
    code = (
        "import sys\n"
        "from datetime import datetime, timezone\n"
        "from bot.progress import chart_png, progress\n"
        "from questions.taxonomy import load_taxonomy\n"
        "p = progress([], [], [], now=datetime(2026, 1, 1, tzinfo=timezone.utc), timezone='UTC')\n"
        "assert chart_png(p, taxonomy=load_taxonomy()).startswith(b'\\x89PNG')\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def _write_cjk_font(path: Path) -> None:
    """A real TrueType font named like a CJK font, with boxes for 掌 and 握 (built with fontTools)."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    def box() -> Any:  # a fontTools glyph
        pen = TTGlyphPen(None)
        pen.moveTo((100, 0))
        pen.lineTo((100, 700))
        pen.lineTo((600, 700))
        pen.lineTo((600, 0))
        pen.closePath()
        return pen.glyph()

    glyphs = {f"uni{ord(c):04X}": ord(c) for c in "掌握"}
    names = [".notdef", *glyphs]
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({code: name for name, code in glyphs.items()})
    builder.setupGlyf({name: box() for name in names})
    builder.setupHorizontalMetrics({name: (700, 100) for name in names})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "Mockbot Test Sans SC", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    path.parent.mkdir(parents=True, exist_ok=True)
    builder.save(str(path))


def test_a_cjk_font_installed_after_the_font_cache_was_built_is_found(tmp_path: Path) -> None:
    """matplotlib's font cache is built first (in its own config folder); then a CJK font is put
    into the user's font folder, which matplotlib scans; a new process must find it."""
    env = dict(os.environ, MPLCONFIGDIR=str(tmp_path / "mpl"), XDG_DATA_HOME=str(tmp_path / "data"),
               HOME=str(tmp_path / "home"))  # fmt: skip
    build = "from matplotlib import font_manager; print(len(font_manager.fontManager.ttflist))"
    subprocess.run([sys.executable, "-c", build], cwd=REPO, env=env, check=True, capture_output=True)
    assert list((tmp_path / "mpl").glob("fontlist-*.json")), "matplotlib wrote no font cache"
    check = (
        "from matplotlib import font_manager\n"
        "from bot.progress import find_cjk_font\n"
        "cached = [f.fname for f in font_manager.fontManager.ttflist]\n"
        "print(any('Mockbot' in name for name in cached))\n"
        "print(find_cjk_font())\n"
        "print(find_cjk_font())\n"
    )
    before = subprocess.run([sys.executable, "-c", check], cwd=REPO, env=env, check=True, capture_output=True, text=True)
    if before.stdout.split("\n")[1] != "None":
        pytest.skip(f"a CJK font is installed system-wide ({before.stdout.split()[1]}): nothing to find later")
    font = tmp_path / "data" / "fonts" / "MockbotTestSansSC.ttf"
    _write_cjk_font(font)
    after = subprocess.run([sys.executable, "-c", check], cwd=REPO, env=env, check=True, capture_output=True, text=True)
    in_cache, first, second = after.stdout.split("\n")[:3]
    assert in_cache == "False"  # the cache predates the font ...
    assert Path(first) == font and Path(second) == font  # ... yet it is found, and stays found
