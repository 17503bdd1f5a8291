"""`mockbot bank import`: seed documents and notes files -> bank files, merged with what the bank
already holds. A notes file (any Markdown or plain-text notes, `questions/importers/notes`) is
imported exactly like a seed: one bank file named after it, hand edits kept on re-import."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .bank import BankInvalid, BankProblem, read_bank_file, render_bank_file
from .build import build_questions, notes_prefix
from .importers import ParsedSeed, SeedFormatError, SeedNotFound, parse_seed, read_seed_text
from .importers import anki as anki_format
from .importers import notes as notes_format
from .importers import post as post_format
from .merge import MergeReport, merge_questions
from .keypoints import NOTES_RULES, SEED_RULES
from .kinds import AnswerKind
from .model import BankFile, Question
from .taxonomy import Taxonomy

__all__ = ["SeedResult", "import_seed", "import_seeds", "seed_paths", "bank_path_for", "source_name"]

SEED_SUFFIXES = (".txt", ".md", ".markdown")  # what a folder import picks up
# File names that say nothing of what a file holds: such a file is named after its folder
# ("krishnakvr/README.md" -> krishnakvr.yaml), so two folders' README.md never share a bank file.
GENERIC_STEMS = frozenset(
    "readme index _index notes note main content questions qa faq interview interviews summary "
    "笔记 面试题 面经 问题 题目".split()
)
# A re-import that would drop more than half of a bank file's imported questions reads another
# file with the same name, not the same notes edited.
_SAME_SOURCE_MIN_SHARE = 0.5
_SAME_SOURCE_MIN_QUESTIONS = 3


@dataclass
class SeedResult:
    seed: Path
    bank_path: Path
    format: str
    questions: int
    answered: int
    changed: bool
    merge: MergeReport
    unaccounted: list[tuple[int, str]] = field(default_factory=list)
    text: str = field(default="", repr=False)  # the bank file's new content
    parsed: ParsedSeed | None = field(default=None, repr=False)
    merged: list[Question] = field(default_factory=list, repr=False)  # the questions `text` holds
    new_file: bool = False  # the bank file does not exist yet

    @property
    def link_only(self) -> int:
        """Questions whose answer is only a link (or a pointer to one): not graded."""
        return sum(1 for q in self.merged if q.answer_kind is AnswerKind.LINK and not q.gradable)

    def write(self) -> None:
        if self.changed:
            self.bank_path.parent.mkdir(parents=True, exist_ok=True)
            self.bank_path.write_text(self.text, encoding="utf-8")


NAMED_BY_FILE = (notes_format.FORMAT, post_format.FORMAT, anki_format.FORMAT)


def seed_paths(seed_dir: Path) -> list[Path]:
    return sorted(p for p in seed_dir.iterdir() if p.is_file() and p.suffix.lower() in SEED_SUFFIXES)


def source_name(seed: Path) -> str:
    """How a bank file names its source: the file's name, or "folder/README.md" for a file whose
    name is generic (README.md, index.md, notes.md…)."""
    if seed.stem.lower() not in GENERIC_STEMS:
        return seed.name
    folder = seed.resolve().parent.name
    return f"{folder}/{seed.name}" if folder else seed.name


def bank_path_for(seed: Path, bank_dir: Path) -> Path:
    """`<file name>.yaml`, or `<folder>.yaml` for a file whose name is generic."""
    name = source_name(seed)
    return bank_dir / f"{name.split('/')[0] if '/' in name else seed.stem}.yaml"


def _another_file(seed: Path, target: Path, source: str, existing: list[Question], fresh: int, report: MergeReport) -> str | None:
    """Why `seed` looks like another file than the one `target` was imported from (same name, few
    of the same questions), or None."""
    imported = sum(1 for q in existing if q.imported is not None)
    kept = fresh - len(report.added)
    if imported < _SAME_SOURCE_MIN_QUESTIONS or kept >= imported * _SAME_SOURCE_MIN_SHARE:
        return None
    return (
        f"{seed}: its bank file {target} holds {imported} questions imported from a file named {source}, and only "
        f"{kept} of them are in this one: it looks like another file with the same name, so {target.name} is not "
        f"overwritten; copy {seed.name} under another name and import that (or, if you rewrote these notes, "
        f"delete {target.name} first)"
    )


def import_seed(seed: Path, bank_dir: Path, taxonomy: Taxonomy, *, write: bool = True) -> SeedResult:
    """Import one seed into its bank file; with `write=False` only report what would change.

    Raises:
        SeedFormatError: the seed cannot be parsed.
        BankInvalid: the existing bank file is broken; it is never overwritten then.
    """
    parsed = parse_seed(seed)
    source = source_name(seed)
    # Notes, posts and decks are named by their whole file name; a seed's ids keep its short prefix.
    own_file = parsed.format in NAMED_BY_FILE
    prefix = notes_prefix(source) if own_file else None
    rules = NOTES_RULES if own_file else SEED_RULES  # the seeds' bank files were written by the first rules
    fresh = build_questions(parsed.items, source, taxonomy, prefix=prefix, rules=rules)
    target = bank_path_for(seed, bank_dir)
    existing: list = []
    if target.exists():
        current, problems = read_bank_file(target, taxonomy)
        if current is None:
            raise BankInvalid(
                problems + [BankProblem(str(target), None, "not overwritten: fix it first (`mockbot bank validate`)")]
            )
        if current.source != source:
            # admin.yaml, a hand-written file, or another source's bank file with the same name.
            owner = f"questions from {current.source}" if current.source else "questions written by hand"
            raise SeedFormatError(
                f"{seed}: its bank file {target} already holds {owner}; rename {seed.name} to import it"
            )
        existing = current.questions
    merged, report = merge_questions(fresh, existing, rules)
    clash = _another_file(seed, target, source, existing, len(fresh), report)
    if clash:
        raise SeedFormatError(clash)
    text = render_bank_file(BankFile(source=source, format=parsed.format, title=parsed.title, questions=merged))
    old_text = target.read_text(encoding="utf-8") if target.exists() else None
    lines = read_seed_text(seed).split("\n")
    result = SeedResult(
        seed=seed,
        bank_path=target,
        format=parsed.format,
        questions=len(merged),
        answered=sum(1 for q in merged if q.answered),
        changed=text != old_text,
        merge=report,
        unaccounted=parsed.unaccounted(lines),
        text=text,
        parsed=parsed,
        merged=merged,
        new_file=old_text is None,
    )
    if write:
        result.write()
    return result


def import_seeds(seed_dir: Path, bank_dir: Path, taxonomy: Taxonomy, *, write: bool = True) -> list[SeedResult]:
    """Import every seed document of a folder (or one seed file); nothing is written unless all parse.

    Raises:
        SeedNotFound: `seed_dir` does not exist (as a file or a folder).
        SeedFormatError: a seed cannot be parsed.
        BankInvalid: an existing bank file is broken.
    """
    if seed_dir.is_file():
        seeds = [seed_dir]
    elif seed_dir.is_dir():
        seeds = seed_paths(seed_dir)
        if not seeds:
            raise SeedFormatError(f"{seed_dir}: no seed documents (*.txt, *.md) in it")
    else:
        raise SeedNotFound(f"{seed_dir}: seed file or folder not found")
    results = [import_seed(seed, bank_dir, taxonomy, write=False) for seed in seeds]
    targets: dict[Path, Path] = {}
    for result in results:
        first = targets.setdefault(result.bank_path, result.seed)
        if first != result.seed:
            raise SeedFormatError(
                f"{first.name} and {result.seed.name} would both be imported into {result.bank_path.name}; "
                "rename one of them"
            )
    if write:
        for result in results:
            result.write()
    return results
