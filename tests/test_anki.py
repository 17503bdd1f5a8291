"""Anki in and out: a deck exported from Anki as text (or any CSV of fronts and backs) imports as a
bank file, and any deck exports as an `.apkg` Anki opens and as a CSV that imports back the same;
for a practice user the weakest questions come first, with the key points they missed.

tests/data/anki/interview_deck.txt is written as Anki (2.1.55 and later) writes "Notes in Plain
Text" with every option on: header lines, a GUID, note type, deck and tags column, HTML fields
(`<br>`, `<b>`, lists, entities, MathJax, an image, a link, code), a card without a back, a card
repeated and a front repeated with another back. tests/data/anki/exported_by_anki.txt is what Anki
writes, with the same options, for the deck `mockbot bank export` makes of that file once imported
into it. The apkg is opened as Anki opens it: a zip holding a SQLite `collection.anki2`.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import fsrs
import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.export import NEW, STRONG, WEAK, user_key, weakest_first
from bot.scheduling import ReviewState, review
from bot.storage import Store
from questions.anki_export import MODEL_NAME, markdown_to_html, note_guid, stable_id
from questions.bank import load_bank, read_bank_file
from questions.importers import SeedFormatError, detect_format, parse_seed, read_seed_text
from questions.importers.anki import AnkiSeed, html_to_markdown
from questions.model import AnswerKind, Question
from questions.taxonomy import Taxonomy

ANKI = Path(__file__).parent / "data" / "anki"
DECK = ANKI / "interview_deck.txt"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(
        f"bank:\n  dir: {json.dumps(str(tmp_path / 'bank'))}\n"
        f"storage:\n  url: {json.dumps('sqlite:///' + str(tmp_path / 'practice.sqlite3'))}\n",
        encoding="utf-8",
    )
    return config


def _mockbot(config: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def _imported(tmp_path: Path, source: Path = DECK) -> tuple[Path, list[Question]]:
    """`source` imported into the test's bank through the command line: the config and the questions."""
    config = _config(tmp_path)
    result = _mockbot(config, "bank", "import", str(source))
    assert result.exit_code == 0, result.output
    bank_file, problems = read_bank_file(tmp_path / "bank" / f"{source.stem}.yaml")
    assert problems == [] and bank_file is not None
    return config, bank_file.questions


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


# --- importing Anki's text export ----------------------------------------------------------------------


def test_an_anki_text_export_imports_with_the_right_counts() -> None:
    assert detect_format(read_seed_text(DECK)) == "anki"
    seed = parse_seed(DECK)
    assert isinstance(seed, AnkiSeed)
    assert seed.structure == "Anki text export (tab-separated, HTML fields)"
    assert seed.cards == 11
    assert len(seed.items) == 10  # the repeated card is left out, the repeated front is kept
    assert sum(1 for item in seed.items if item.answer) == 9
    assert [item.question for item in seed.items if not item.answer] == ["Adam 优化器的原理是什么？"]
    assert seed.notes == [
        "line 11: the same card as line 7 (「什么是过拟合？如何防止？」); skipped",
        "line 15: the front of line 9 again (「Dropout 训练和测试有什么区别？」) with another back; kept as a question of its own",
    ]
    assert seed.skipped == {n: "Anki file header" for n in range(1, 7)} | {
        11: "duplicate card (the same front and back as an earlier one)"
    }
    assert seed.unaccounted(read_seed_text(DECK).split("\n")) == []  # nothing lost
    # Two decks: each is its cards' section; the GUID, note type and tags columns are not content.
    assert {item.section for item in seed.items} == {"面试::深度学习", "面试::Python"}
    assert seed.title is None


def test_html_fields_become_the_banks_markdown() -> None:
    items = {item.question: item for item in parse_seed(DECK).items}
    assert items["什么是过拟合？如何防止？"].answer == (
        "过拟合是指模型在训练集上表现很好，在测试集上表现差，即泛化能力差。\n防止方法：\n"
        "- 增加训练数据或做数据增强\n- 正则化（L1/L2）\n- Dropout"
    )
    assert "BN的计算公式是什么？" in items  # <b> in a front: the words only
    assert items["BN的计算公式是什么？"].answer == (
        "对每个 batch 的每个特征，减去 batch 均值再除以标准差：\n"
        "$\\hat{x} = \\frac{x - \\mu_B}{\\sqrt{\\sigma_B^2 + \\epsilon}}$\n![](bn_formula.png)"
    )
    dropout = [item for item in parse_seed(DECK).items if item.question.startswith("Dropout")]
    assert [d.answer for d in dropout] == [
        "训练时每个神经元以概率 p 保留，其余输出置 0；**测试时不丢弃任何神经元**，使用完整的网络。",  # &nbsp; decoded
        "AlexNet 的做法：训练时不缩放，测试时把输出乘以 p。",
    ]
    assert items["为什么 numpy 比 list 快？"].answer == "1. numpy 数组在连续内存中存放同一类型的数据\n2. 底层用 C 实现，支持向量化运算"
    attention = items["Transformer 中为什么要除以 √d_k？"].answer
    assert attention.startswith("点积的方差随 d_k 增大而增大，除以 √d_k")  # &radic; decoded, <sub> kept as _
    assert attention.endswith("参考：[Attention Is All You Need](https://arxiv.org/abs/1706.03762)")
    assert items["手写 softmax"].answer == "```\ndef softmax(x):\n    e = np.exp(x - x.max())\n    return e / e.sum()\n```"


def test_a_deck_back_from_anki_imports_as_it_went_out() -> None:
    """mockbot's own cards, exported by Anki as text (HTML rendered from the bank's Markdown, the
    key points and topic in columns of their own), give back the questions and answers they came from."""
    original = parse_seed(DECK)
    back = parse_seed(ANKI / "exported_by_anki.txt")
    assert back.title == "mockbot::interview_deck" and back.cards == 10
    assert [(i.question, i.answer) for i in back.items] == [(i.question, i.answer) for i in original.items]
    assert back.notes[0] == (
        "not imported: column 6, column 7, column 8, column 9 (the front, the back and the deck or section are read; "
        "key points are extracted from the back again)"
    )
    text = read_seed_text(ANKI / "exported_by_anki.txt")
    assert back.unaccounted(text.split("\n")) == []
    # Anki kept the GUIDs the package gave its notes.
    rows = [line.split("\t")[0] for line in text.split("\n")[6:] if "\tmockbot interview question\t" in line]
    assert len(rows) == 10 and rows[0] == note_guid("interview-8638da")


def test_html_conversion_details() -> None:
    assert html_to_markdown("<div><b>加粗 </b>后面</div><div>第二行</div>") == ("**加粗** 后面\n第二行", [])
    assert html_to_markdown("A &amp; B &lt;x&gt;<br/><br>C") == ("A & B <x>\n\nC", [])
    assert html_to_markdown("<ul><li>外层<ul><li>内层</li></ul></li></ul>")[0] == "- 外层\n  - 内层"
    assert html_to_markdown('<img src="a.png" alt="图">看图<img src="https://x.org/b.png">', inline=True) == (
        "看图",
        ["a.png", "https://x.org/b.png"],
    )
    assert html_to_markdown("\\[E = mc^2\\]")[0] == "$$E = mc^2$$"
    assert html_to_markdown("<b><strong>两层</strong></b>")[0] == "**两层**"
    assert html_to_markdown("<style>.x{}</style>正文")[0] == "正文"


def test_import_and_preview_through_the_command_line(tmp_path: Path, taxonomy: Taxonomy) -> None:
    config = _config(tmp_path)
    bank_dir = tmp_path / "bank"
    preview = _mockbot(config, "bank", "import", str(DECK), "--preview")
    assert preview.exit_code == 0, preview.output
    out = preview.output.splitlines()
    assert out[0] == (
        f"interview_deck.txt (anki) -> {bank_dir / 'interview_deck.yaml'}: 10 questions, 9 answered, 1 unanswered; "
        "a new file, nothing written (preview)"
    )
    assert out[1] == "  cards: 11, Anki text export (tab-separated, HTML fields); fronts are the questions, backs the answers"
    assert "  note: line 11: the same card as line 7 (「什么是过拟合？如何防止？」); skipped" in out
    assert "    1-6  Anki file header: #separator:tab" in out
    assert any(line.startswith("    11   duplicate card (the same front and back as an earlier one): ") for line in out)
    assert "no answer: kept as an open question" in preview.output
    assert not bank_dir.exists()

    result = _mockbot(config, "bank", "import", str(DECK))
    assert result.exit_code == 0, result.output
    assert "  note: line 15: the front of line 9 again" in result.output
    bank = load_bank(bank_dir, taxonomy)
    questions = bank.questions
    assert len(questions) == 10 and len({q.id for q in questions}) == 10
    assert all(q.id.startswith("interview-") and q.source == "interview_deck.txt" for q in questions)
    assert {q.topic for q in questions if q.section == "面试::Python"} == {"python"}
    kinds = {q.question: q.answer_kind for q in questions}
    assert kinds["Adam 优化器的原理是什么？"] is AnswerKind.NONE and kinds["手写 softmax"] is AnswerKind.CODE
    assert all(q.key_points for q in questions if q.answer_kind is AnswerKind.TEXT)  # extracted as for any answer
    again = _mockbot(config, "bank", "import", str(DECK), "--check")
    assert again.exit_code == 0 and "; unchanged" in again.output


def test_two_decks_named_alike_never_give_the_bank_one_id_twice(tmp_path: Path) -> None:
    config, _ = _imported(tmp_path)
    twin = tmp_path / "interview_cv.txt"
    twin.write_bytes(DECK.read_bytes())  # the same questions, in a deck whose name starts alike
    assert _mockbot(config, "bank", "import", str(twin)).exit_code == 0
    ids = [
        line.split(":", 1)[1].strip()
        for name in ("interview_deck.yaml", "interview_cv.yaml")
        for line in (tmp_path / "bank" / name).read_text(encoding="utf-8").splitlines()
        if line.startswith("- id:")
    ]
    assert ids and len(ids) == len(set(ids))  # each deck's ids start with its whole name
    assert "duplicate id" not in _mockbot(config, "bank", "validate").stderr


# --- CSV decks ----------------------------------------------------------------------------------------------


def test_a_csv_with_a_header_row_quoted_fields_and_a_bom(tmp_path: Path) -> None:
    text = (
        "Question,Answer,Tags\n"
        '什么是BN？,"对一个 batch 内同一特征归一化,\n训练和推理时用的统计量不同",dl\n'
        '"什么是""梯度消失""？",反向传播时梯度越来越小，前面的层几乎不更新,dl\n'
        "LN 和 BN 的区别？,,\n"
    )
    seed = parse_seed(_write(tmp_path, "cards.csv", text, encoding="utf-8-sig"))
    assert seed.format == "anki" and seed.structure == "table of cards (comma-separated, plain-text fields, a header row)"
    assert [(i.question, i.answer) for i in seed.items] == [
        ("什么是BN？", "对一个 batch 内同一特征归一化,\n训练和推理时用的统计量不同"),
        ('什么是"梯度消失"？', "反向传播时梯度越来越小，前面的层几乎不更新"),
        ("LN 和 BN 的区别？", ""),
    ]
    assert seed.skipped == {1: "header row (column names)"}
    assert seed.notes == [
        "not imported: Tags (the front, the back and the deck or section are read; key points are extracted from the back again)"
    ]


def test_a_semicolon_csv_without_a_header_row_and_an_older_anki_export(tmp_path: Path) -> None:
    semicolon = "Dropout 的作用？;防止过拟合, 相当于模型集成\nAdam 是什么？;自适应学习率的优化器, 结合了动量\n"
    seed = parse_seed(_write(tmp_path, "european.csv", semicolon))
    assert [(i.question, i.answer) for i in seed.items] == [
        ("Dropout 的作用？", "防止过拟合, 相当于模型集成"),
        ("Adam 是什么？", "自适应学习率的优化器, 结合了动量"),
    ]
    # Anki before 2.1.55: no header lines, tabs, HTML, a tags column.
    older = "什么是ReLU？\tmax(0, x)<br>正半轴梯度恒为 1\tdl\n什么是 sigmoid？\t1 / (1 + e<sup>-x</sup>)\tdl\n"
    path = _write(tmp_path, "old_export.txt", older)
    assert detect_format(read_seed_text(path)) == "anki"
    assert [i.answer for i in parse_seed(path).items] == ["max(0, x)\n正半轴梯度恒为 1", "1 / (1 + e^-x)"]


def test_an_import_file_with_named_columns_one_deck_and_a_comment(tmp_path: Path) -> None:
    """The header lines Anki reads in a file written for it: named columns, one deck for every card,
    plain text; a `#` line among the cards is a comment, as Anki reads it."""
    text = (
        "#separator:Semicolon\n#html:false\n#columns:Tags;Back;Front\n#deck:面试题\n"
        "bn;对 batch 内同一特征归一化;什么是BN？\n# 下面是优化\nopt;一阶动量和二阶动量;Adam 用了哪些动量？\n"
    )
    seed = parse_seed(_write(tmp_path, "for_anki.txt", text))
    assert seed.format == "anki" and seed.title == "面试题"
    assert [(i.question, i.answer, i.section) for i in seed.items] == [
        ("什么是BN？", "对 batch 内同一特征归一化", None),
        ("Adam 用了哪些动量？", "一阶动量和二阶动量", None),
    ]
    assert seed.skipped == {1: "Anki file header", 2: "Anki file header", 3: "Anki file header", 4: "Anki file header",
                            6: "comment line (#…)"}  # fmt: skip
    assert seed.notes == [
        "not imported: Tags (the front, the back and the deck or section are read; key points are extracted from the back again)"
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("one.csv", "什么是BN？\n什么是LN？\n", "one.csv: a table with one column: a deck needs a front and a back"),
        ("loss.csv", "epoch,loss\n1,0.52\n2,0.41\n3,0.37\n", "loss.csv: a table of numbers, not cards"),
        ("deck.apkg", "PK\x03\x04", "deck.apkg: an Anki package; export the deck from Anki as Notes in Plain Text (.txt)"),
        ("table.txt", "问题,答案\n什么是BN？,批归一化\n什么是LN？,层归一化\n", "a table of fronts and backs is a deck: name it .csv"),
    ],
)
def test_what_is_not_a_deck_gets_a_clear_message(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = _write(tmp_path, name, content)
    with pytest.raises(SeedFormatError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        parse_seed(path)
    result = _mockbot(_config(tmp_path), "bank", "import", str(path), "--preview")
    assert result.exit_code == 1 and message in result.stderr


# --- exporting --------------------------------------------------------------------------------------------


def _open_apkg(path: Path, tmp_path: Path) -> tuple[sqlite3.Connection, dict[str, str], zipfile.ZipFile]:
    archive = zipfile.ZipFile(path)
    assert "collection.anki2" in archive.namelist()
    database = tmp_path / "collection.anki2"
    database.write_bytes(archive.read("collection.anki2"))
    return sqlite3.connect(database), json.loads(archive.read("media")), archive


def _notes(connection: sqlite3.Connection) -> list[tuple[str, list[str], str, int]]:
    """(guid, fields, tags, due) of every note, in the order Anki shows the new cards."""
    rows = connection.execute(
        "SELECT notes.guid, notes.flds, notes.tags, cards.due FROM notes JOIN cards ON cards.nid = notes.id ORDER BY cards.due"
    )
    return [(guid, fields.split("\x1f"), tags.strip(), due) for guid, fields, tags, due in rows]


def test_an_exported_apkg_opens_and_holds_the_decks_cards(tmp_path: Path) -> None:
    config, questions = _imported(tmp_path)
    (tmp_path / "bank" / "bn_formula.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 16)  # the deck's image, local
    output = tmp_path / "out" / "deck.apkg"
    result = _mockbot(config, "bank", "export", "--file", "interview_deck", "-o", str(output))
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"wrote {output}: deck 'mockbot::interview_deck', 10 cards (9 answered, 1 open); in bank order",
        "  images: 1 embedded from local files, 0 left as references",
    ]
    connection, media, archive = _open_apkg(output, tmp_path)
    notes = _notes(connection)
    assert [guid for guid, *_ in notes] == [note_guid(q.id) for q in questions]  # bank order, GUIDs from the ids
    assert [due for *_, due in notes] == list(range(1, 11))
    by_id = {fields[5]: fields for _, fields, _, _ in notes}
    overfitting = by_id[questions[0].id]
    assert overfitting[0] == "什么是过拟合？如何防止？"
    assert overfitting[1].startswith("<p>过拟合是指模型在训练集上表现很好") and "<li>正则化（L1/L2）</li>" in overfitting[1]
    assert overfitting[2] == "<ul>" + "".join(f"<li>{p.text}</li>" for p in questions[0].key_points) + "</ul>"
    assert overfitting[3] == "" and overfitting[4] == "深度学习基础"
    bn = by_id[questions[1].id][1]
    assert "\\(\\hat{x} = \\frac{x - \\mu_B}{\\sqrt{\\sigma_B^2 + \\epsilon}}\\)" in bn  # for Anki's MathJax
    [(number, name)] = media.items()
    assert name.startswith("mockbot-") and name.endswith(".png") and f'src="{name}"' in bn
    assert archive.read(number) == (tmp_path / "bank" / "bn_formula.png").read_bytes()
    open_question = next(fields for fields in by_id.values() if fields[0] == "Adam 优化器的原理是什么？")
    assert open_question[1:4] == ["", "", ""]
    assert all(tags.split()[:2] == ["mockbot", f"topic::{q.topic}"] for q, (_, _, tags, _) in zip(questions, notes))
    [(models,)] = connection.execute("SELECT models FROM col")
    [(decks,)] = connection.execute("SELECT decks FROM col")
    model = json.loads(models)[str(stable_id(MODEL_NAME))]
    assert model["name"] == MODEL_NAME and [f["name"] for f in model["flds"]][:2] == ["Question", "Answer"]
    assert json.loads(decks)[str(stable_id("mockbot::interview_deck"))]["name"] == "mockbot::interview_deck"
    # Exported again: the same ids, so Anki updates the cards instead of adding them twice.
    again = tmp_path / "again.apkg"
    assert _mockbot(config, "bank", "export", "--file", "interview_deck", "-o", str(again)).exit_code == 0
    second, _, _ = _open_apkg(again, tmp_path / "out")
    assert [guid for guid, *_ in _notes(second)] == [guid for guid, *_ in notes]
    (models_again,) = second.execute("SELECT models FROM col").fetchone()
    assert _without_times(json.loads(models_again)) == _without_times(json.loads(models))  # ("mod": the export's second)


def test_the_ids_are_derived_from_names() -> None:
    assert stable_id("mockbot::ml") == stable_id("mockbot::ml") != stable_id("mockbot::cv")
    assert 1 << 30 <= stable_id("mockbot") < 1 << 31
    assert note_guid("interview-8638da") == note_guid("interview-8638da") != note_guid("interview-d3bbc5")
    assert markdown_to_html("$$a_1 * b_2$$ 和 $x_i$") == "<p>\\[a_1 * b_2\\] 和 \\(x_i\\)</p>"


def test_csv_export_imports_back_into_an_equal_deck(tmp_path: Path) -> None:
    config, questions = _imported(tmp_path)
    output = tmp_path / "interview_deck.csv"
    result = _mockbot(config, "bank", "export", "--file", "interview_deck", "--format", "csv", "-o", str(output))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["front", "back", "key points", "section", "topic", "id"] and len(rows) == 11
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _, again = _imported(elsewhere, output)

    def shape(q: Question) -> tuple:
        return (q.id, q.topic, q.section, q.question, q.images, q.answer, q.answer_kind, q.key_points)

    assert [shape(q) for q in again] == [shape(q) for q in questions]


def test_exporting_a_topic_or_the_whole_bank(tmp_path: Path) -> None:
    config, questions = _imported(tmp_path)
    output = tmp_path / "python.csv"
    result = _mockbot(config, "bank", "export", "--topic", "Python", "-o", str(output))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"wrote {output}: deck 'mockbot::Python', 4 cards (4 answered, 0 open)")
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert [row["id"] for row in rows] == [q.id for q in questions if q.topic == "python"]
    whole = _mockbot(config, "bank", "export", "-o", str(tmp_path / "all.apkg"))
    assert whole.exit_code == 0 and "deck 'mockbot', 10 cards" in whole.output
    for args, message in [
        (("--file", "nope"), "no bank file 'nope' (bank files in"),
        (("--topic", "astrology"), "unknown topic 'astrology'"),
        (("--file", "interview_deck", "--topic", "python"), "--file or --topic, not both"),
        (("--user", "alice"), "no practice records yet:"),
    ]:
        bad = _mockbot(config, "bank", "export", *args, "-o", str(tmp_path / "x.csv"))
        assert bad.exit_code == 2 and message in bad.stderr, (args, bad.stderr)
    no_format = _mockbot(config, "bank", "export", "-o", str(tmp_path / "deck.txt"))
    assert no_format.exit_code == 2 and "--format: apkg or csv" in no_format.stderr


# --- a practice user's weakest first -------------------------------------------------------------------------


def _answer(store: Store, key: str, question: Question, score: float, when: datetime, missed=(), contradicted=()) -> None:
    """A graded answer as the engine stores it: the attempt, then the FSRS review it rates."""
    rating = fsrs.Rating.Again if score < 60 else fsrs.Rating.Good
    store.add_attempt(key, question_id=question.id, answer="…", score=score, verdict=0, missed=missed,
                      contradicted=contradicted, rating=int(rating), now=when)  # fmt: skip
    record = store.review(key, question.id)
    before = None if record is None else ReviewState(record.question_id, record.card, record.due, record.last_rating)
    after = review(before, question.id, rating, now=when)
    store.save_review(key, question.id, card=after.card, due=after.due, last_rating=int(rating), now=when)


def test_a_users_weak_questions_come_first_with_their_missed_points(tmp_path: Path) -> None:
    config, questions = _imported(tmp_path)
    by_text = {q.question: q for q in questions}
    overfitting, gil, numpy_speed = by_text["什么是过拟合？如何防止？"], by_text["Python 的 GIL 是什么？"], by_text["为什么 numpy 比 list 快？"]
    lists = by_text["Python 中 list 和 tuple 的区别？"]
    store = Store.open(f"sqlite:///{tmp_path / 'practice.sqlite3'}")
    key = user_key("alice")
    _answer(store, key, overfitting, 25, T0, missed=(1, 2), contradicted=(3,))
    _answer(store, key, gil, 90, T0 + timedelta(minutes=5))
    _answer(store, key, lists, 45, T0 + timedelta(minutes=10), missed=(1,))
    _answer(store, key, numpy_speed, 30, T0 + timedelta(minutes=15), missed=(0,))
    _answer(store, key, numpy_speed, 85, T0 + timedelta(days=1))  # the latest answer counts: strong now
    store.add_attempt("term:bob", question_id=gil.id, answer="…", score=0, verdict=0, now=T0)  # someone else
    store.close()

    output = tmp_path / "alice.csv"
    result = _mockbot(config, "bank", "export", "--file", "interview_deck", "--user", "alice", "-o", str(output))
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("alice's weakest first: 2 weak, 6 never practised, 2 strong")
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    never = [q.id for q in questions if q.id not in {overfitting.id, gil.id, lists.id, numpy_speed.id}]
    assert [row["id"] for row in rows] == [overfitting.id, lists.id, *never, numpy_speed.id, gil.id]
    assert [row["standing"] for row in rows] == [WEAK, WEAK] + [NEW] * 6 + [STRONG, STRONG]
    points = overfitting.point_texts
    assert rows[0]["missed"].split("\n") == [points[1], points[2], f"⚠ {points[3]}"]
    assert rows[1]["missed"] == lists.point_texts[1] and rows[-1]["missed"] == ""

    apkg = tmp_path / "alice.apkg"
    assert _mockbot(config, "bank", "export", "--file", "interview_deck", "--user", "alice", "-o", str(apkg)).exit_code == 0
    connection, _, _ = _open_apkg(apkg, tmp_path)
    notes = _notes(connection)
    assert [fields[5] for _, fields, _, _ in notes] == [row["id"] for row in rows]  # Anki shows them in this order
    _, first, tags, _ = notes[0]
    assert first[3] == "<ul>" + "".join(f"<li>{text}</li>" for text in rows[0]["missed"].split("\n")) + "</ul>"
    assert "mockbot::weak" in tags.split() and "mockbot::missed" in tags.split()
    assert "mockbot::new" in notes[2][2].split()
    unknown = _mockbot(config, "bank", "export", "--user", "carol", "-o", str(tmp_path / "c.csv"))
    assert unknown.exit_code == 2 and "no practice records for 'carol'" in unknown.stderr and "alice, bob" in unknown.stderr


def test_strong_questions_likeliest_forgotten_first(tmp_path: Path) -> None:
    """Among passed questions, the one FSRS deems likelier forgotten (reviewed longer ago) comes first."""
    questions = [Question(id=f"q-{n}", topic="ml", question=f"问题{n}？", answer="答案。") for n in range(3)]
    store = Store.open(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    _answer(store, "term:x", questions[0], 95, T0 + timedelta(days=20))
    _answer(store, "term:x", questions[1], 95, T0)
    _answer(store, "term:x", questions[2], 59, T0)
    cards = weakest_first(questions, store.attempts("term:x"), store.reviews("term:x"), now=T0 + timedelta(days=30))
    store.close()
    assert [(c.question.id, c.standing) for c in cards] == [("q-2", WEAK), ("q-1", STRONG), ("q-0", STRONG)]


def _without_times(models: dict) -> dict:
    """Anki models without their modification times."""
    return {key: {field: value for field, value in model.items() if field != "mod"} for key, model in models.items()}
