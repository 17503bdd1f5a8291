"""The message catalog (`grading/locale/<language>/LC_MESSAGES/mockbot.po`, read by `grading.i18n`):
every message in every language, none empty, the same `{placeholders}` in each; every id the code
names is in it and every message in it is named somewhere; no text is left outside it.

The ids the code names are read from the source with `ast`, through the keywords `pybabel extract`
uses (gettext's own plus those in pyproject.toml's `[tool.babel.extract_messages]`).
"""

from __future__ import annotations

import ast
import re
import string
import tomllib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS
from babel.messages.frontend import parse_keywords

from grading.i18n import LANGUAGES, LOCALE_DIR, catalog, po_path

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("bot", "grading", "questions")  # the packages whose modules show texts
# Modules that show texts to a user: no Chinese may be written in them outside docstrings and comments.
FRONT_ENDS = ("bot/engine", "bot/telegram", "bot/terminal.py", "bot/cli/practice.py", "bot/progress.py",
              "grading/feedback.py", "grading/result.py")  # fmt: skip
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _keywords() -> dict[str, tuple]:
    """Function name -> the 1-based positions of its message arguments, as `pybabel extract` reads them."""
    configured = _pyproject()["tool"]["babel"]["extract_messages"]["keywords"]
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(configured)}
    return {name: spec or (1,) for name, spec in keywords.items()}


def _messages(language: str) -> dict[str, tuple[str, ...]]:
    """id -> its text (a plural: its forms), for every message of `language`'s catalog."""
    out = {}
    for message in catalog(language):
        if message.id:
            key = message.id if isinstance(message.id, str) else message.id[0]
            out[key] = (message.string,) if isinstance(message.string, str) else tuple(message.string)
    return out


def _sources(*roots: str) -> Iterator[tuple[Path, ast.Module]]:
    for root in roots:
        path = ROOT / root
        for file in sorted(path.rglob("*.py") if path.is_dir() else [path]):
            yield file, ast.parse(file.read_text(encoding="utf-8"), filename=str(file))


def _where(file: Path, node: ast.AST) -> str:
    return f"{file.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def _called(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    return node.func.attr if isinstance(node.func, ast.Attribute) else None


def _literals(node: ast.expr) -> list[str]:
    """The ids an argument can be: a string, or either side of `a if … else b` (else none: computed)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def named_ids() -> dict[str, list[str]]:
    """Every message id the code names in a keyword's message argument -> where."""
    keywords = _keywords()
    found: dict[str, list[str]] = {}
    for file, tree in _sources("bot", "grading"):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _called(node) not in keywords:
                continue
            positions = [p for p in keywords[_called(node)] if isinstance(p, int)]
            for position in dict.fromkeys(positions):
                if position <= len(node.args):
                    for msgid in _literals(node.args[position - 1]):
                        found.setdefault(msgid, []).append(_where(file, node))
    return found


def _docstrings(tree: ast.Module) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and functions."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def _fields(text: str) -> set[str]:
    """The names of the `str.format` fields of a text: "{average:.0f}" -> "average"."""
    return {re.split(r"[.\[]", name, maxsplit=1)[0] for _, name, _, _ in string.Formatter().parse(text) if name is not None}


# ---------------------------------------------------------------- the catalog itself


def test_every_language_has_a_catalog_and_only_those_do() -> None:
    folders = {path.parent.parent.name for path in LOCALE_DIR.glob(f"*/LC_MESSAGES/{po_path('zh').name}")}
    assert folders == set(LANGUAGES)
    for language in LANGUAGES:
        messages = catalog(language)
        assert messages.locale is not None, f"{po_path(language)}: no Language header"
        plurals = [m for m in messages if m.id and not isinstance(m.id, str)]
        assert plurals and all(len(m.string) == messages.num_plurals for m in plurals), f"{language}: plural forms"


def test_every_message_is_in_every_language() -> None:
    ids = {language: set(_messages(language)) for language in LANGUAGES}
    every = set().union(*ids.values())
    missing = [
        f"{po_path(language).relative_to(ROOT)}: no {msgid!r}" for language in LANGUAGES for msgid in sorted(every - ids[language])
    ]
    assert not missing, "\n".join(missing)


def test_no_translation_is_empty_or_fuzzy() -> None:
    problems = []
    for language in LANGUAGES:
        for message in catalog(language):
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings):
                problems.append(f"{language}: {message.id!r} has no text")
            if message.fuzzy:
                problems.append(f"{language}: {message.id!r} is marked fuzzy")
        problems += [f"{language}: obsolete {key!r}" for key in catalog(language).obsolete]
    assert not problems, "\n".join(problems)


def test_placeholders_agree_between_the_languages() -> None:
    messages = {language: _messages(language) for language in LANGUAGES}
    problems = []
    for msgid, texts in messages[LANGUAGES[0]].items():
        fields = {language: [_fields(text) for text in messages[language].get(msgid, ())] for language in LANGUAGES}
        every = [field for forms in fields.values() for field in forms]
        if any(field != every[0] for field in every):
            named = (f"{language} {sorted(set().union(*forms))}" for language, forms in fields.items())
            problems.append(f"{msgid!r}: " + "; ".join(named))
    assert not problems, "placeholders differ:\n" + "\n".join(problems)


def test_the_catalogs_ship_with_the_package() -> None:
    patterns = _pyproject()["tool"]["setuptools"]["package-data"]["grading"]
    for language in LANGUAGES:
        inside = po_path(language).relative_to(ROOT / "grading").as_posix()
        assert any(fnmatch(inside, pattern) for pattern in patterns), f"{inside} is not package data"


# ---------------------------------------------------------------- the code and the catalog


def test_every_id_the_code_names_is_in_the_catalog() -> None:
    named = named_ids()
    assert {"welcome", "terminal.help", "admin.reloaded", "feedback.score", "verdict.good", "answers"} <= set(named)
    known = set(_messages(LANGUAGES[0]))
    unknown = [f"{where[0]}: {msgid!r}" for msgid, where in sorted(named.items()) if msgid not in known]
    assert not unknown, "not in the catalog:\n" + "\n".join(unknown)


def test_every_message_is_named_in_the_code() -> None:
    """A message nothing names is a text no one sees (its strings may be built: `f"rating_{…}"`)."""
    constants: set[str] = set()
    prefixes: set[str] = set()
    for _path, tree in _sources(*PRODUCT):
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                constants.add(node.value)
            elif isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
                prefixes.add(str(node.values[0].value))
    unused = [msgid for msgid in _messages(LANGUAGES[0])
              if msgid not in constants and not any(msgid.startswith(p) for p in prefixes if len(p) > 3)]  # fmt: skip
    assert not unused, "in the catalog but named nowhere: " + ", ".join(unused)


def test_no_text_is_kept_in_a_dict_by_language() -> None:
    """Texts live in the catalog, not in `{"zh": …, "en": …}` dicts; data with its own languages
    (a topic's names, read from the taxonomy) may still be put in one."""
    found = []
    for file, tree in _sources(*PRODUCT):
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict):
                continue
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if len(keys & set(LANGUAGES)) < 2:
                continue
            if any(isinstance(v, (ast.Constant, ast.JoinedStr, ast.BinOp, ast.Dict)) for v in node.values):
                found.append(_where(file, node))
    assert not found, "texts by language outside the catalog (move them into the .po files):\n" + "\n".join(found)


def test_front_ends_write_no_chinese_outside_the_catalog() -> None:
    """Docstrings and a character looked up in a font (`ord("掌")`) are no texts a user sees."""
    found = []
    for file, tree in _sources(*FRONT_ENDS):
        probes = {id(n.args[0]) for n in ast.walk(tree) if isinstance(n, ast.Call) and _called(n) == "ord" and n.args}
        skip = _docstrings(tree) | probes
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip and _CJK.search(node.value):
                found.append(f"{_where(file, node)}: {node.value[:40]!r}")
    assert not found, "Chinese text outside the catalog:\n" + "\n".join(found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_texts_read_from_the_catalog(language: str) -> None:
    from bot.engine.texts import join_list, plural, t, wording
    from bot.telegram.admin import ADMINS_ONLY
    from grading.result import Verdict

    assert t("no_question", language) == wording("no_question", language).format(cmd_next="/question")
    assert "/question" in t("no_question", language) and ":next" in t("no_question", language, cmd_next=":next")
    assert plural("days", language, 2) != plural("days", language, 2).replace("2", "1")
    assert [v.label(language) for v in Verdict] == [catalog(language)[f"verdict.{v.name.lower()}"].string for v in Verdict]
    assert join_list(["a", "b"], language).startswith("a") and ADMINS_ONLY.count(" / ") == len(LANGUAGES) - 1
