"""`mockbot bench grading`: how much grading costs on top of encoding the reply."""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from grading import calibrate as cal
from grading.text import clear_text_caches

from ..cli.common import Report, _App, silent
from ..grading_app import build_grader, reference_for

__all__ = ["run_grading_bench", "cold_start_probe"]



def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0  # kilobytes on Linux


def run_grading_bench(app: _App, devset: Path, *, rounds: int = 3, progress: Report = silent) -> dict[str, Any]:
    """Figures over the dev set's Chinese replies (as candidates type them), warm model and cache.

    The baseline is the bare `encode` of the units the grader encodes for a reply (its clauses,
    neighbouring pairs, the whole reply and, when weighed, the reply without the question's words)
    in one batch: `ratio` is what grading costs on top.
    `progress` is told what is being done between timings, never inside one."""
    progress("cold start (a fresh process)", 0, None)
    cold_start = _cold_start(app)
    bank = app.bank()
    references = {q.id: reference_for(q) for q in bank.questions if q.gradable}
    replies = cal.load_devset(devset, references)
    progress("loading the model, preparing the references", 0, None)
    grader = build_grader(app.settings.grading, bank)
    prepared = [grader.prepare(r.reference) for r in replies]
    embedder = grader.embedder("zh")
    units = [grader.reply_texts(p, grader.analyse(p, r.text)) for p, r in zip(prepared, replies)]
    for p, r, u in list(zip(prepared, replies, units))[:8]:  # warm up every path
        grader.grade(p, r.text)
        embedder.encode([r.text])
        embedder.encode(u)
    grade_ms: list[float] = []
    encode_ms: list[float] = []
    clauses_ms: list[float] = []
    steps = 4 * rounds  # three timed loops and one throughput pass per round
    for round_number in range(rounds):  # each path in its own loop, like timeit; rounds alternate them
        progress(f"timing, round {round_number + 1} of {rounds}", 3 * round_number, steps)
        for r in replies:
            start = time.perf_counter()
            embedder.encode([r.text])
            encode_ms.append((time.perf_counter() - start) * 1000)
        progress(f"timing, round {round_number + 1} of {rounds}", 3 * round_number + 1, steps)
        for u in units:
            start = time.perf_counter()
            embedder.encode(u)
            clauses_ms.append((time.perf_counter() - start) * 1000)
        progress(f"timing, round {round_number + 1} of {rounds}", 3 * round_number + 2, steps)
        for p, r in zip(prepared, replies):
            clear_text_caches()  # every reply is new to the grader, as in real use
            start = time.perf_counter()
            grader.grade(p, r.text)
            grade_ms.append((time.perf_counter() - start) * 1000)
    items = list(zip(prepared, [r.text for r in replies]))
    elapsed = 0.0
    for round_number in range(rounds):
        progress("batch throughput", 3 * rounds + round_number, steps)
        start = time.perf_counter()
        for offset in range(0, len(items), 64):
            grader.grade_many(items[offset : offset + 64])
        elapsed += time.perf_counter() - start
    progress("done", steps, steps)
    throughput = rounds * len(items) / elapsed
    grade_p50 = statistics.median(grade_ms)
    clauses_p50 = statistics.median(clauses_ms)
    return {
        "model": embedder.name,
        "replies": len(replies),
        "grade_p50_ms": round(grade_p50, 3),
        "grade_p95_ms": round(_percentile(grade_ms, 0.95), 3),
        "encode_clauses_p50_ms": round(clauses_p50, 3),
        "encode_p50_ms": round(statistics.median(encode_ms), 3),
        "units_per_reply": round(statistics.mean(len(u) for u in units), 2),
        "ratio": round(grade_p50 / clauses_p50, 3),
        "replies_per_s": round(throughput, 1),
        "cold_start_s": round(cold_start, 3),
        "peak_rss_mb": round(_rss_mb(), 1),
    }


def _cold_start(app: _App) -> float:
    """Seconds from a fresh interpreter to the first graded reply (model load included)."""
    config = str(app.settings.source) if app.settings.source else ""
    probe = subprocess.run(
        [sys.executable, "-c", "from bot.bench.grading import cold_start_probe; cold_start_probe()", config],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(probe.stdout.strip().splitlines()[-1])


def cold_start_probe() -> None:
    """Run in a fresh process: load settings, bank and model, grade one reply, print the seconds."""
    start = time.perf_counter()
    from ..config import load_settings
    from questions.bank import load_bank
    from questions.taxonomy import load_taxonomy

    config = Path(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1] else None
    settings = load_settings(config)
    bank = load_bank(settings.bank.dir, load_taxonomy(settings.bank.topics))
    grader = build_grader(settings.grading, bank)
    question = next(q for q in bank.questions if q.gradable)
    grader.grade(reference_for(question), "训练时随机丢弃一部分神经元，测试时不丢弃")
    print(time.perf_counter() - start)
