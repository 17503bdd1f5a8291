"""Turning parsed seed items into bank questions: ids, topics, answer kinds and key points."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from .importers import RawItem
from .keypoints import SEED_RULES, Rules, analyse_answer
from .model import Question, fingerprint_of
from .taxonomy import Taxonomy

__all__ = ["source_prefix", "notes_prefix", "question_key", "make_id", "tidy_markdown", "build_question", "build_questions"]

_NOT_WORD = re.compile(r"[\W_]+")


def source_prefix(filename: str) -> str:
    """The id prefix of a seed file: its leading name part, e.g. "000_d14d….txt" -> "000"."""
    stem = filename.rsplit(".", 1)[0].lower()
    head = re.match(r"[a-z0-9]+", stem)
    return head.group() if head else "q"


_DATE = re.compile(r"^\d{4}[-_.]\d{1,2}[-_.]\d{1,2}[-_.]?")
_PREFIX_CHARS = 24


def notes_prefix(filename: str) -> str:
    """The id prefix of a notes file: the Latin words and numbers of its name as a slug ("ML
    notes.md" -> "ml-notes"; a leading date goes: "2018-05-26-deep-learning-qa.md" ->
    "deep-learning-qa"), so two notes files, or a notes file and a seed, rarely share one. A
    file named "folder/README.md" takes its folder's name. A name with fewer than three Latin
    letters ("深度学习笔记.md", "企业A.md") gets "notes-" and a short digest of the name
    ("notes-1f3a")."""
    stem = filename.split("/")[0] if "/" in filename else filename.rsplit(".", 1)[0]
    folded = _DATE.sub("", unicodedata.normalize("NFKC", stem).lower())
    words = re.findall(r"[a-z0-9]+", folded)
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > _PREFIX_CHARS and slug:
            break
        slug = f"{slug}-{word}" if slug else word[:_PREFIX_CHARS]
    if sum(ch.isalpha() for ch in slug) < 3:
        return f"notes-{hashlib.sha1(stem.encode('utf-8')).hexdigest()[:4]}"
    return slug


def question_key(text: str) -> str:
    """Question text reduced to what identifies it: no case, width, spacing or punctuation."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).lower())


def make_id(prefix: str, question: str, taken: set[str]) -> str:
    """A stable id from the question text, so it survives reordering and insertions."""
    digest = hashlib.sha1(question_key(question).encode("utf-8")).hexdigest()
    candidate = f"{prefix}-{digest[:6]}"
    suffix = 2
    while candidate in taken:  # the same question twice in one source
        candidate = f"{prefix}-{digest[:6]}-{suffix}"
        suffix += 1
    return candidate


def tidy_markdown(text: str) -> str:
    """Tabs expanded, trailing blanks and surrounding blank lines removed (for clean YAML blocks)."""
    lines = [line.expandtabs(4).rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


def build_question(
    item: RawItem,
    *,
    id: str,
    source: str | None,
    taxonomy: Taxonomy,
    answer: str | None = None,
    rules: Rules = SEED_RULES,
) -> Question:
    """A bank question from a seed item (or from a hand-written answer, when `answer` is given)."""
    answer_md = tidy_markdown(item.answer if answer is None else answer)
    facts = analyse_answer(answer_md, rules)
    topic = taxonomy.classify(item.question, item.section, answer_md)
    return Question(
        id=id,
        topic=topic,
        section=item.section,
        source=source,
        line=item.line,
        number=item.number,
        question=" ".join(item.question.split()),
        images=list(item.images),
        answer=answer_md,
        answer_kind=facts.kind,
        key_points=facts.key_points,
        imported=fingerprint_of(topic, answer_md, facts.key_points),
    )


def build_questions(
    items: list[RawItem], source: str, taxonomy: Taxonomy, *, prefix: str | None = None, rules: Rules = SEED_RULES
) -> list[Question]:
    """Bank questions for a source's items; ids start with `prefix` (default: the seed's prefix)."""
    prefix = prefix or source_prefix(source)
    taken: set[str] = set()
    questions = []
    for item in items:
        qid = make_id(prefix, item.question, taken)
        taken.add(qid)
        questions.append(build_question(item, id=qid, source=source, taxonomy=taxonomy, rules=rules))
    return questions
