"""`mockbot where` (and its alias `doctor`): what is in use, printed without loading a model.

The home folder, the platform data folder and the working directory are all under `tmp_path`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import tzlocal

from bot.cli import main
from bot.config import CONFIG_ENV
from grading.settings import GradingSettings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Home, data folder and working directory under tmp_path; the machine's zone Asia/Tokyo."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    tzlocal.reload_localzone()  # tzlocal caches the zone it read
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    yield home
    monkeypatch.undo()
    tzlocal.reload_localzone()


def write_config(folder: Path, text: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    bank = {"dir": str(REPO / "questions" / "bank"), "topics": str(REPO / "questions" / "topics.yaml")}
    path = folder / "config.yaml"
    path.write_text(f"bank: {json.dumps(bank)}\n{text}", encoding="utf-8")
    return path


def where(capsys: pytest.CaptureFixture[str], *argv: str, command: str = "where") -> dict[str, str]:
    """Run the command; its `label: value` lines as a dict, and the rest under "notes"."""
    status = main([command, *argv])
    out, err = capsys.readouterr()
    assert status == 0, err
    rows, notes = {}, []
    for line in out.splitlines():
        label, sep, value = line.partition(": ")
        if sep and not line.startswith(" ") and label in {"config file", "data folder", "database", "bank", "topics",
                                                           "model (zh)", "model (en)", "grading cache", "time zone"}:
            rows[label] = value.strip()
        elif line.strip():
            notes.append(line)
    rows["notes"] = "\n".join(notes)
    return rows


def test_where_prints_every_place_in_use(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], bank) -> None:  # noqa: ANN001
    config = write_config(tmp_path / "project")
    rows = where(capsys, "--config", str(config))
    data_dir = tmp_path / "xdg-data" / "mockbot"
    assert rows["config file"] == str(config.resolve())
    assert rows["data folder"] == str(data_dir)
    assert rows["database"] == f"sqlite:///{data_dir / 'mockbot.sqlite3'} (not created yet)"
    assert rows["bank"] == f"{REPO / 'questions' / 'bank'} ({len(bank.questions)} questions)"
    assert rows["topics"] == str(REPO / "questions" / "topics.yaml")
    defaults = GradingSettings()
    assert (rows["model (zh)"], rows["model (en)"]) == (defaults.zh.model, defaults.en.model)
    assert rows["grading cache"].startswith("none: reference embeddings are kept in memory only")
    assert rows["time zone"].startswith("Asia/Tokyo (this machine's")
    assert rows["notes"] == ""


def test_where_shows_the_grading_cache_beside_the_config_file_it_is_relative_to(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "project", "grading:\n  cache: .cache/embeddings.sqlite3\n")
    cache = tmp_path / "project" / ".cache" / "embeddings.sqlite3"
    assert where(capsys, "--config", str(config))["grading cache"] == f"{cache} (not created yet; reference embeddings only, never replies)"
    cache.parent.mkdir()
    cache.write_bytes(b"\0" * 300_000)
    assert where(capsys, "--config", str(config))["grading cache"].startswith(f"{cache} (0.3 MB;")


def test_doctor_is_the_same_command(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "project", "timezone: Europe/Berlin\n")
    assert where(capsys, "--config", str(config), command="doctor") == where(capsys, "--config", str(config))
    assert where(capsys, "--config", str(config))["time zone"] == "Europe/Berlin (from the config file)"


def test_the_database_is_the_same_from_any_working_directory(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write_config(tmp_path / "project")
    seen = set()
    for folder in (tmp_path / "project", tmp_path / "cwd", home):
        monkeypatch.chdir(folder)
        seen.add(where(capsys, "--config", str(config))["database"])
    seen.add(where(capsys)["database"])  # no config file at all (home has none)
    assert seen == {f"sqlite:///{tmp_path / 'xdg-data' / 'mockbot' / 'mockbot.sqlite3'} (not created yet)"}


def test_without_a_config_file_says_built_in_defaults(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = where(capsys)
    assert rows["config file"].startswith("built-in defaults")
    assert " questions)" in rows["bank"]


def test_the_password_of_a_database_url_is_masked(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path / "project", "storage:\n  url: postgresql+psycopg://bob:s3cret@db.example/mockbot\n")
    status = main(["where", "--config", str(config)])
    out, _ = capsys.readouterr()
    assert status == 0
    assert re.search(r"^database: +postgresql\+psycopg://bob:\*\*\*@db\.example/mockbot$", out, re.M), out
    assert "s3cret" not in out


def test_older_databases_are_listed_with_how_to_keep_using_them(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path / "project")
    old = [tmp_path / "project" / ".mockbot" / "mockbot.sqlite3", home / ".mockbot" / "mockbot.sqlite3"]
    for file in old:
        file.parent.mkdir(parents=True)
        file.write_bytes(b"")
    notes = where(capsys, "--config", str(config))["notes"]
    target = tmp_path / "xdg-data" / "mockbot" / "mockbot.sqlite3"
    for file in old:
        assert f"an older database was found: {file}" in notes
        assert f"set storage.url: sqlite:///{file} in the config file, or move it to {target}" in notes


def test_an_invalid_bank_is_reported_not_fatal(home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "broken.yaml").write_text("questions: [\n", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"bank:\n  dir: {json.dumps(str(bank))}\n", encoding="utf-8")
    assert where(capsys, "--config", str(config))["bank"] == f"{bank} (invalid: 1 problem(s); run `mockbot bank validate`)"
