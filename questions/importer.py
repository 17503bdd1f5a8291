"""`mockbot bank import`: seed documents and notes files -> bank files, merged with what the bank
already holds. A notes file (any Markdown or plain-text notes, `questions/importers/notes`) is
imported exactly like a seed: one bank file named after it, hand edits kept on re-import."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .bank import BankInvalid, BankProblem, read_bank_file, render_bank_file
from .build import build_questions, notes_prefix
from .importers import ParsedSeed, SeedFormatError, parse_seed, read_seed_text
from .importers import anki as anki_format
from .importers import notes as notes_format
from .merge import MergeReport, merge_questions
from .model import BankFile, Question
from .taxonomy import Taxonomy

__all__ = ["SeedResult", "import_seed", "import_seeds", "seed_paths", "bank_path_for"]

SEED_SUFFIXES = (".txt", ".md", ".markdown")  # what a folder import picks up


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

    def write(self) -> None:
        if self.changed:
            self.bank_path.parent.mkdir(parents=True, exist_ok=True)
            self.bank_path.write_text(self.text, encoding="utf-8")


def seed_paths(seed_dir: Path) -> list[Path]:
    return sorted(p for p in seed_dir.iterdir() if p.is_file() and p.suffix.lower() in SEED_SUFFIXES)


def bank_path_for(seed: Path, bank_dir: Path) -> Path:
    return bank_dir / f"{seed.stem}.yaml"


def import_seed(seed: Path, bank_dir: Path, taxonomy: Taxonomy, *, write: bool = True) -> SeedResult:
    """Import one seed into its bank file; with `write=False` only report what would change.

    Raises:
        SeedFormatError: the seed cannot be parsed.
        BankInvalid: the existing bank file is broken; it is never overwritten then.
    """
    parsed = parse_seed(seed)
    # Notes and decks are named by their whole file name; a seed's ids keep the seed's short prefix.
    prefix = notes_prefix(seed.name) if parsed.format in (notes_format.FORMAT, anki_format.FORMAT) else None
    fresh = build_questions(parsed.items, seed.name, taxonomy, prefix=prefix)
    target = bank_path_for(seed, bank_dir)
    existing: list = []
    if target.exists():
        current, problems = read_bank_file(target, taxonomy)
        if current is None:
            raise BankInvalid(
                problems + [BankProblem(str(target), None, "not overwritten: fix it first (`mockbot bank validate`)")]
            )
        if current.source != seed.name:
            # admin.yaml, a hand-written file, or another source's bank file with the same name.
            owner = f"questions from {current.source}" if current.source else "questions written by hand"
            raise SeedFormatError(
                f"{seed}: its bank file {target} already holds {owner}; rename {seed.name} to import it"
            )
        existing = current.questions
    merged, report = merge_questions(fresh, existing)
    text = render_bank_file(BankFile(source=seed.name, format=parsed.format, title=parsed.title, questions=merged))
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
    """Import every seed document of a folder (or one seed file); nothing is written unless all parse."""
    if seed_dir.is_file():
        seeds = [seed_dir]
    elif seed_dir.is_dir():
        seeds = seed_paths(seed_dir)
        if not seeds:
            raise SeedFormatError(f"{seed_dir}: no seed documents (*.txt, *.md) in it")
    else:
        raise SeedFormatError(f"{seed_dir}: seed folder not found")
    results = [import_seed(seed, bank_dir, taxonomy, write=False) for seed in seeds]
    if write:
        for result in results:
            result.write()
    return results
