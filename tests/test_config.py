"""`load_settings`: where settings come from, how paths resolve, and how bad files are reported.

Every config file is written under `tmp_path`; the working directory and $MOCKBOT_CONFIG are
controlled with `monkeypatch` so the repository's own `config.yaml` never leaks in.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.config import CONFIG_ENV, ConfigError, Settings, load_settings
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
    assert message == f"{path}:{line_no(text, 'bnak:')}: bnak: Extra inputs are not permitted"


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
    assert message == f"{path}:{line_no(text, 'langauge:')}: langauge: Extra inputs are not permitted"


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
    assert message.startswith(f"{path}:{line_no(text, 'dri:')}: bank.dri: ")


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
    assert message.startswith(f"{path}:{line_no(text, 'language: fr')}: language: ")
    assert "'zh' or 'en'" in message


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
    assert lines[1].startswith(f"{path}:{line_no(text, 'extra:')}: extra: ")


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
