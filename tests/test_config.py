"""`load_settings`: where settings come from, how paths resolve, and how bad files are reported.

Every config file is written under `tmp_path`; the working directory and $MOCKBOT_CONFIG are
controlled with `monkeypatch` so the repository's own `config.yaml` never leaks in.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import tzlocal

from bot.config import CONFIG_ENV, ConfigError, Settings, database_path, legacy_databases, load_settings, local_timezone
from questions.bank import DEFAULT_BANK_DIR
from questions.taxonomy import DEFAULT_TAXONOMY_PATH


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run each test in an empty working directory with no $MOCKBOT_CONFIG."""
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    return workdir


def write(path: Path, text: str) -> tuple[Path, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = textwrap.dedent(text).lstrip("\n")
    path.write_text(text, encoding="utf-8")
    return path, text


def line_no(text: str, needle: str) -> int:
    """The 1-based number of the first line of `text` that contains `needle`."""
    return next(number for number, line in enumerate(text.splitlines(), start=1) if needle in line)


def config_error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return str(info.value)


def test_defaults_when_there_is_no_config_file() -> None:
    settings = load_settings()
    assert settings == Settings()
    assert settings.language == "zh"
    assert settings.bank.dir == DEFAULT_BANK_DIR
    assert settings.bank.topics == DEFAULT_TAXONOMY_PATH
    assert settings.source is None


def test_config_yaml_in_the_working_directory_is_used(isolated: Path) -> None:
    path, _ = write(isolated / "config.yaml", "language: en\n")
    settings = load_settings()
    assert settings.language == "en"
    assert settings.source == path.resolve()


def test_relative_bank_dir_is_resolved_against_the_config_folder(tmp_path: Path) -> None:
    path, _ = write(
        tmp_path / "settings" / "config.yaml",
        """
        bank:
          dir: my-bank
          topics: ../shared/topics.yaml
        """,
    )
    settings = load_settings(path)
    assert settings.bank.dir == (tmp_path / "settings" / "my-bank").resolve()
    assert settings.bank.topics == (tmp_path / "shared" / "topics.yaml").resolve()
    assert settings.source == path.resolve()


def test_absolute_bank_dir_is_kept(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere" / "bank"
    path, _ = write(tmp_path / "config.yaml", f'bank:\n  dir: "{elsewhere}"\n')
    settings = load_settings(path)
    assert settings.bank.dir == elsewhere
    assert settings.bank.topics == DEFAULT_TAXONOMY_PATH


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    path, text = write(
        tmp_path / "config.yaml",
        """
        # settings
        language: zh
        bank:
          dir: questions/bank
           topics: questions/topics.yaml
        """,
    )
    message = config_error(path)
    assert message.startswith(f"{path}:{line_no(text, ' topics:')}: ")
    assert "broken YAML" in message


def test_misspelt_top_level_key_with_a_mapping_value_names_its_line(tmp_path: Path) -> None:
    path, text = write(
        tmp_path / "config.yaml",
        """
        # settings
        language: zh
        bnak:
          dir: questions/bank
        """,
    )
    message = config_error(path)
    assert message == f'{path}:{line_no(text, "bnak:")}: unknown setting "bnak" (did you mean "bank"?)'


def test_misspelt_scalar_key_names_file_line_and_key(tmp_path: Path) -> None:
    path, text = write(
        tmp_path / "config.yaml",
        """
        bank:
          dir: questions/bank
        langauge: en
        """,
    )
    message = config_error(path)
    assert message == f'{path}:{line_no(text, "langauge:")}: unknown setting "langauge" (did you mean "language"?)'


def test_misspelt_nested_key_names_the_dotted_key(tmp_path: Path) -> None:
    path, text = write(
        tmp_path / "config.yaml",
        """
        language: zh
        bank:
          dri: questions/bank
        """,
    )
    message = config_error(path)
    assert message == f'{path}:{line_no(text, "dri:")}: unknown setting "bank.dri" (did you mean "bank.dir"?)'


def test_bad_language_value_names_file_line_and_key(tmp_path: Path) -> None:
    path, text = write(
        tmp_path / "config.yaml",
        """
        # settings

        bank:
          dir: questions/bank
        language: fr
        """,
    )
    message = config_error(path)
    assert message == f"{path}:{line_no(text, 'language: fr')}: language: must be 'zh' or 'en' (got 'fr')"


def test_every_problem_in_the_file_is_reported(tmp_path: Path) -> None:
    path, text = write(
        tmp_path / "config.yaml",
        """
        language: fr
        extra: 1
        """,
    )
    lines = config_error(path).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}:{line_no(text, 'language:')}: language: ")
    assert lines[1] == f'{path}:{line_no(text, "extra:")}: unknown setting "extra"'  # nothing close to suggest


def test_a_file_that_is_not_a_mapping_is_an_error(tmp_path: Path) -> None:
    path, _ = write(tmp_path / "config.yaml", "- zh\n- en\n")
    assert config_error(path) == f"{path}:1: expected a mapping of settings"


def test_empty_config_file_gives_defaults(tmp_path: Path) -> None:
    path, _ = write(tmp_path / "config.yaml", "# nothing set\n")
    settings = load_settings(path)
    assert settings.language == "zh"
    assert settings.bank.dir == DEFAULT_BANK_DIR
    assert settings.source == path.resolve()


def test_env_var_names_the_config_file(tmp_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(isolated / "config.yaml", "language: zh\n")  # would be used without the variable
    path, _ = write(tmp_path / "from-env" / "mockbot.yaml", "language: en\nbank:\n  dir: b\n")
    monkeypatch.setenv(CONFIG_ENV, str(path))
    settings = load_settings()
    assert settings.language == "en"
    assert settings.source == path.resolve()
    assert settings.bank.dir == (tmp_path / "from-env" / "b").resolve()


def test_explicit_path_wins_over_env_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_path, _ = write(tmp_path / "env.yaml", "language: zh\n")
    explicit, _ = write(tmp_path / "explicit.yaml", "language: en\n")
    monkeypatch.setenv(CONFIG_ENV, str(env_path))
    assert load_settings(explicit).source == explicit.resolve()


def test_explicit_missing_path_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "config.yaml"
    message = config_error(missing)
    assert str(missing) in message
    assert "not found" in message


def test_env_var_naming_a_missing_file_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "gone.yaml"
    monkeypatch.setenv(CONFIG_ENV, str(missing))
    with pytest.raises(ConfigError, match="not found"):
        load_settings()


# ---------------------------------------------------------------- where data lives


@pytest.fixture
def user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(home folder, platform data folder) under tmp_path, as platformdirs and Path.home() see them."""
    home, data = tmp_path / "home", tmp_path / "xdg-data"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    return home, data / "mockbot"


def test_database_defaults_to_the_platform_data_folder_from_any_directory(
    tmp_path: Path, user_dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, data_dir = user_dirs
    path, _ = write(tmp_path / "repo" / "config.yaml", "language: zh\n")
    urls = set()
    for folder in (tmp_path / "repo", tmp_path / "elsewhere", tmp_path):
        folder.mkdir(exist_ok=True)
        monkeypatch.chdir(folder)
        for settings in (load_settings(path), load_settings(None) if folder == tmp_path / "repo" else Settings()):
            assert settings.data_dir == data_dir
            urls.add(settings.storage.url)
    assert urls == {f"sqlite:///{data_dir / 'mockbot.sqlite3'}"}


def test_relative_data_dir_is_relative_to_the_config_file_and_holds_the_database(
    tmp_path: Path, user_dirs: tuple[Path, Path]
) -> None:
    path, _ = write(tmp_path / "cfg" / "config.yaml", "data_dir: progress\n")
    settings = load_settings(path)
    assert settings.data_dir == (tmp_path / "cfg" / "progress").resolve()
    assert settings.storage.url == f"sqlite:///{settings.data_dir / 'mockbot.sqlite3'}"
    assert database_path(settings) == settings.data_dir / "mockbot.sqlite3"


def test_storage_url_wins_over_data_dir(tmp_path: Path, user_dirs: tuple[Path, Path]) -> None:
    path, _ = write(tmp_path / "cfg" / "config.yaml", "data_dir: progress\nstorage:\n  url: sqlite:///db/x.sqlite3\n")
    settings = load_settings(path)
    assert settings.storage.url == f"sqlite:///{(tmp_path / 'cfg' / 'db' / 'x.sqlite3').resolve()}"
    assert settings.data_dir == (tmp_path / "cfg" / "progress").resolve()


def test_non_sqlite_database_has_no_file(tmp_path: Path) -> None:
    path, _ = write(tmp_path / "config.yaml", "storage:\n  url: postgresql+psycopg://bob:pw@db.example/mockbot\n")
    settings = load_settings(path)
    assert settings.storage.url == "postgresql+psycopg://bob:pw@db.example/mockbot"
    assert database_path(settings) is None


def test_legacy_databases_lists_old_default_files_not_in_use(tmp_path: Path, user_dirs: tuple[Path, Path]) -> None:
    home, _ = user_dirs
    path, _ = write(tmp_path / "repo" / "config.yaml", "language: zh\n")
    cwd = tmp_path / "somewhere"
    old = [tmp_path / "repo" / ".mockbot" / "mockbot.sqlite3", cwd / ".mockbot" / "mockbot.sqlite3",
           home / ".mockbot" / "mockbot.sqlite3"]  # fmt: skip
    assert legacy_databases(load_settings(path), cwd=cwd, home=home) == []
    for file in old:
        file.parent.mkdir(parents=True)
        file.write_bytes(b"")
    assert legacy_databases(load_settings(path), cwd=cwd, home=home) == [f.resolve() for f in old]
    # The one storage.url points at is in use, not a leftover.
    write(path, f"storage:\n  url: sqlite:///{old[2]}\n")
    assert legacy_databases(load_settings(path), cwd=cwd, home=home) == [f.resolve() for f in old[:2]]


# ---------------------------------------------------------------- time zone


def test_timezone_is_validated_with_a_suggestion(tmp_path: Path) -> None:
    path, text = write(tmp_path / "config.yaml", "language: zh\ntimezone: Asia/Shanghia\n")
    assert config_error(path) == (
        f"{path}:{line_no(text, 'timezone:')}: timezone: unknown time zone 'Asia/Shanghia' (did you mean \"Asia/Shanghai\"?)"
    )
    write(path, "timezone: Mars/Olympus_Mons\n")
    assert "an IANA name such as Asia/Shanghai" in config_error(path)


@pytest.fixture
def machine_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set the machine's zone as tzlocal reads it ($TZ; tzlocal caches it, so it is re-read)."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        tzlocal.reload_localzone()

    yield set_zone
    monkeypatch.undo()
    tzlocal.reload_localzone()


def test_local_timezone_is_the_setting_else_the_machines(tmp_path: Path, machine_zone: Callable[[str], None]) -> None:
    path, _ = write(tmp_path / "config.yaml", "timezone: Europe/Berlin\n")
    machine_zone("America/New_York")
    assert local_timezone(load_settings(path)) == "Europe/Berlin"
    assert local_timezone(Settings()) == "America/New_York"
    assert Settings().timezone is None


def test_deck_limits_reach_the_engine(tmp_path: Path) -> None:
    from bot.cli.common import _App, build_engine
    from bot.storage import Store

    path, _ = write(tmp_path / "config.yaml", "data_dir: data\ndecks:\n  max_decks: 3\n  max_questions: 40\n")
    app = _App(path)
    store = Store.open(app.settings.storage.url)
    try:
        limits = build_engine(app, store).deck_limits
    finally:
        store.close()
    assert (limits.max_decks, limits.max_questions) == (3, 40)
    assert (limits.max_file_bytes, limits.preview_minutes) == (1_000_000, 60)  # the defaults


def test_the_language_is_one_of_the_catalogs(tmp_path: Path) -> None:
    from grading.i18n import LANGUAGES

    for language in LANGUAGES:
        path, _ = write(tmp_path / "config.yaml", f"language: {language}\n")
        assert load_settings(path).language == language
    with pytest.raises(ValueError, match="must be 'zh' or 'en'"):
        Settings(language="fr")
