"""Lint for key points: flag points that look like headings, fragments or duplicates.

The schema (`questions.model`) accepts any non-empty text as a key point; these checks catch what
it cannot: a point that is a section label ("优点："), a piece of a sentence ("所以……", "……，"),
a figure reference, two points that say the same thing, a hint that gives the point away, a gist or
misconception without its English wording (English screens would show the Chinese), and so on.
Each finding is short and says what to do.

`lint_question` is pure: it returns `(loc, message)` pairs, where `loc` names the field like a
pydantic error location, with 0-based list indices (`"key_points.2"` is the third point,
`"key_points.2.gist"` its gist, `"misconceptions.0"` the first misconception,
`"misconceptions.0.claim"` its claim, `"key_points"` the list as a whole). Messages number points
and misconceptions from 1, as `mockbot bank show` does.
`lint_bank_file` maps the findings of one file to `BankProblem`s at the line of the field;
`split_findings` tells the advisory ones apart: findings on key points the importer extracted and
nobody has edited yet are a starting point to curate, not errors.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from rapidfuzz import fuzz

from .bank import BankProblem, read_bank_file
from .model import BankFile, KeyPoint, Question, digest, points_data
from .yamlio import YamlError, line_of, load_yaml

__all__ = [
    "MAX_POINTS",
    "MIN_CHARS",
    "MAX_CHARS",
    "MAX_GIST_CHARS",
    "MAX_GIST_EN_CHARS",
    "SIMILAR_RATIO",
    "normalise",
    "chinese_outside_quotes",
    "lint_point",
    "lint_question",
    "lint_bank_file",
    "is_extracted",
    "split_findings",
]

MAX_POINTS = 7  # more than this is a list to recite, not a set of claims
MIN_CHARS = 4  # fewer characters cannot make a claim
MAX_CHARS = 80  # more than this does not read well in a chat message
MAX_GIST_CHARS = 20  # a hint names the point, it does not state it
MAX_GIST_EN_CHARS = 50  # the same for the English gist (English words take more characters)
SIMILAR_RATIO = 90  # rapidfuzz fuzz.ratio of two normalised texts at or above which they are duplicates

_COLONS = (":", "：")
# A short text ending in one of these words is a label ("损失函数的角度", "优点"), unless it has a verb.
_LABEL_ENDINGS = ("角度", "方面", "原因", "作用", "优点", "缺点", "区别")
_LABEL_MAX_CHARS = 12
_VERB_HINTS = ("是", "有", "没", "无", "不", "会", "能", "可", "要", "需", "使", "让", "导致", "在于")
_PAIRS = ("()", "（）", "[]", "【】", "「」", "“”")
_DANGLING_ENDS = (",", "，", "、", ";", "；", "+", "-", "*", "/", "=", "^", "(", "（")
_CONNECTIVES = ("首先", "其次", "此外", "然后", "同理", "因此", "所以", "而且", "并且", "但是", "另外", "总之", "而")
# "如上图", "下图", "如图", "见图" (but not "下图像": "图像" is an image, not a figure reference).
_FIGURE = re.compile(r"如图|见图|[上下]图(?![像片谱层])")
_TRAILING = "。.!！?？ \t"
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff60]")  # with full-width punctuation
# A Chinese term quoted inside English text ("the 「残差」 branch") is allowed.
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|\"[^\"]*\"")


def normalise(text: str) -> str:
    """Lowercase, without whitespace, punctuation or symbols: what two texts are compared by."""
    return "".join(
        ch for ch in text.lower() if not ch.isspace() and unicodedata.category(ch)[0] not in ("P", "S", "Z")
    )


def chinese_outside_quotes(text: str) -> str | None:
    """The first Chinese character (or full-width punctuation) of `text` not inside quotes, if any."""
    found = _CJK.search(_QUOTED.sub("", text))
    return found.group() if found else None


def _english_finding(english: str | None, chinese: str, key: str) -> tuple[str, str] | None:
    """What is wrong with `key`, the English wording of `chinese` (missing, a copy, not translated),
    as the field to look at and the end of the message; None when nothing is."""
    if english is None or not english.strip():
        return key.removesuffix("_en"), f"has no English wording: add {key} after it"
    if normalise(english) == normalise(chinese):
        return key, f"has its Chinese text as {key}: translate it"
    char = chinese_outside_quotes(english)
    if char:
        return key, f"has Chinese ({char!r}) in {key}: translate it (a Chinese term may stay, in quotes)"
    return None


def _unbalanced(text: str) -> str | None:
    """The first bracket or quote pair that does not close (or closes before it opens), if any."""
    for pair in _PAIRS:
        opening, closing = pair
        depth = 0
        for ch in text:
            if ch == opening:
                depth += 1
            elif ch == closing:
                depth -= 1
                if depth < 0:
                    return pair
        if depth:
            return pair
    return None


def _is_label(text: str) -> bool:
    core = text.rstrip(_TRAILING)
    return (
        len(core) <= _LABEL_MAX_CHARS
        and core.endswith(_LABEL_ENDINGS)
        and not any(hint in core for hint in _VERB_HINTS)
    )


def lint_point(text: str, number: int) -> list[str]:
    """What is wrong with one key point's text (`number` is 1-based, for the message)."""
    t = text.strip()
    name = f"key point {number}"
    found: list[str] = []
    if t.endswith(_COLONS):
        found.append(f"{name} looks like a heading (ends with a colon): write the claim itself")
    elif t.startswith("#"):
        found.append(f"{name} looks like a heading (starts with '#'): write the claim itself")
    elif _is_label(t):
        found.append(f"{name} looks like a label ({t!r}): write the claim itself")
    elif len(t) < MIN_CHARS:
        found.append(f"{name} is too short to be a claim ({len(t)} characters): say what is true")
    if len(t) > MAX_CHARS:
        found.append(f"{name} is too long for a chat ({len(t)} characters, at most {MAX_CHARS}): split or shorten it")
    pair = _unbalanced(t)
    if pair:
        found.append(f"{name} has an unbalanced {pair[0]}{pair[1]}: it looks cut off, close or remove it")
    if t.endswith(_DANGLING_ENDS) and not t.endswith(_COLONS):
        found.append(f"{name} ends with {t[-1]!r}: it looks cut off, finish the sentence")
    connective = next((c for c in _CONNECTIVES if t.startswith(c)), None)
    if connective:
        found.append(f"{name} starts with {connective!r}, which needs the sentence before it: make it stand alone")
    figure = _FIGURE.search(t)
    if figure:
        found.append(f"{name} refers to a figure ({figure.group()!r}): say what the figure shows")
    return found


def _lint_points(points: list[KeyPoint]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    norms = [normalise(p.text) for p in points]
    for i, point in enumerate(points):
        number = i + 1
        found += [(f"key_points.{i}", message) for message in lint_point(point.text, number)]
        for j in range(i):
            if norms[i] == norms[j] or (norms[i] and norms[j] and fuzz.ratio(norms[i], norms[j]) >= SIMILAR_RATIO):
                found.append(
                    (f"key_points.{i}", f"key points {j + 1} and {number} say the same thing: merge or reword them")
                )
                break
        if point.gist is not None:
            gist = point.gist.strip()
            if normalise(gist) == norms[i]:
                found.append((f"key_points.{i}.gist", f"gist of key point {number} repeats the point: name it in a few words"))
            elif len(gist) > MAX_GIST_CHARS:
                found.append(
                    (
                        f"key_points.{i}.gist",
                        f"gist of key point {number} is {len(gist)} characters (at most {MAX_GIST_CHARS}):"
                        " a hint must not give the point away",
                    )
                )
            if gist:
                found += _lint_gist_en(point, i)
        elif point.gist_en:
            found.append((f"key_points.{i}.gist_en", f"key point {number} has gist_en but no gist: add the gist it translates"))
    return found


def _lint_gist_en(point: KeyPoint, i: int) -> list[tuple[str, str]]:
    """The English gist of a point that has a gist: there, translated, short, not the point itself."""
    number = i + 1
    finding = _english_finding(point.gist_en, point.gist or "", "gist_en")
    if finding:
        field, problem = finding
        return [(f"key_points.{i}.{field}", f"gist of key point {number} {problem}")]
    gist_en = (point.gist_en or "").strip()
    if point.en and normalise(gist_en) == normalise(point.en):
        return [(f"key_points.{i}.gist_en", f"gist_en of key point {number} repeats the point: name it in a few words")]
    if len(gist_en) > MAX_GIST_EN_CHARS:
        return [
            (
                f"key_points.{i}.gist_en",
                f"gist_en of key point {number} is {len(gist_en)} characters (at most {MAX_GIST_EN_CHARS}):"
                " a hint must not give the point away",
            )
        ]
    return []


def lint_question(question: Question) -> list[tuple[str, str]]:
    """Every finding for one question, as `(loc, message)`; empty when it is clean."""
    points = question.key_points
    found = _lint_points(points)
    count = len(points)
    if question.answered and count > MAX_POINTS:
        found.append(("key_points", f"{count} key points (at most {MAX_POINTS}): merge them or drop minor details"))
    if question.answered and question.answer_kind.gradable and question.curated and count < 2:
        found.append(("key_points", f"only {count} key point: split the answer into 2-{MAX_POINTS} claims"))
    if count >= 2 and not any(p.core for p in points):
        found.append(("key_points", f"none of the {count} key points is core: mark those a pass needs as core"))
    said: dict[str, int] = {}  # normalised text or alias -> 1-based point number
    for i, point in enumerate(points):
        for text in (point.text, *point.aliases):
            said.setdefault(normalise(text), i + 1)
    for m, mis in enumerate(question.misconceptions):
        claim = normalise(mis.claim)
        if claim == normalise(mis.correction):
            found.append((f"misconceptions.{m}", f"misconception {m + 1}: the claim equals its correction"))
        elif claim in said:
            found.append(
                (
                    f"misconceptions.{m}",
                    f"misconception {m + 1} claims what key point {said[claim]} says: a misconception must be wrong",
                )
            )
        for name, english, chinese in (("claim", mis.claim_en, mis.claim), ("correction", mis.correction_en, mis.correction)):
            finding = _english_finding(english, chinese, f"{name}_en")
            if finding:
                field, problem = finding
                found.append((f"misconceptions.{m}.{field}", f"the {name} of misconception {m + 1} {problem}"))
    return found


def _loc_steps(question_index: int, loc: str) -> tuple[str | int, ...]:
    steps = tuple(int(step) if step.isdigit() else step for step in loc.split("."))
    return ("questions", question_index, *steps)


def lint_bank_file(path: Path, bank_file: BankFile | None = None) -> list[BankProblem]:
    """The lint findings of one bank file, each at the line of its field (`file:line: id: message`).

    Pass the already validated `bank_file` to skip validating it again. A file that does not pass
    schema validation is not linted: its schema problems are returned instead.
    """
    shown = str(path)
    if bank_file is None:
        bank_file, problems = read_bank_file(path)
        if bank_file is None:
            return problems
    try:
        data = load_yaml(path)
    except YamlError as exc:
        return [BankProblem(shown, exc.line, exc.message)]
    problems = []
    for index, question in enumerate(bank_file.questions):
        for loc, message in lint_question(question):
            problems.append(BankProblem(shown, line_of(data, _loc_steps(index, loc)), f"{question.id}: {message}"))
    return problems


def is_extracted(question: Question) -> bool:
    """Its key points are still the importer's extraction (plain strings, unedited since import)."""
    base = question.imported
    return (
        base is not None
        and not question.curated
        and digest(points_data(question.key_points)) == base.key_points
    )


def split_findings(path: Path, bank_file: BankFile) -> tuple[list[BankProblem], list[BankProblem]]:
    """The lint findings of one valid bank file as (errors, advisories): a finding on a question
    whose key points are still the importer's extraction is advisory; every other one is an error."""
    extracted = {q.id for q in bank_file.questions if is_extracted(q)}
    errors: list[BankProblem] = []
    advisories: list[BankProblem] = []
    for problem in lint_bank_file(path, bank_file):
        question_id = problem.message.split(":", 1)[0]
        (advisories if question_id in extracted else errors).append(problem)
    return errors, advisories
