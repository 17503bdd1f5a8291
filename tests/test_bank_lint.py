"""The key-point lint (`questions.lint`) and its report through `mockbot bank validate`.

Bad points are small hand-made cases, one or more per rule, each with the finding it must give;
good points are real curated points from the shipped bank, chosen because they come close to a
rule (a colon inside, brackets, a label word with a verb, an image rather than a figure), and must
give none. The shipped bank itself must lint clean, and the command must report a heading-like
point as `file:line: message` at the line of that point and exit 1.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from bot.cli import cli
from bot.cli.bank import _render
from questions.bank import BankProblem, bank_files, load_bank
from questions.lint import MAX_CHARS, MAX_GIST_EN_CHARS, lint_bank_file, lint_point, lint_question
from questions.model import Question
from questions.taxonomy import Taxonomy

REPO = Path(__file__).resolve().parents[1]
REAL_BANK = REPO / "questions" / "bank"
SAMPLE = REAL_BANK / "003_00467d147e3054d0.yaml"

# Two real curated points that are fine on their own: company for a bad point under test.
GOOD_1 = "训练时每个神经元以概率p保留，以1-p的概率输出置0"
GOOD_2 = "感受野是输出特征图上的一个像素对应到输入图像上的区域大小"
GOOD_3 = "Adagrad累加所有历史梯度的平方和，随训练进行更新量越来越小，甚至趋于0"


def question(
    points: list[Any] | None = None,
    *,
    misconceptions: list[dict[str, str]] | None = None,
    answer_kind: str = "text",
    english: bool = True,
) -> Question:
    """A question with curated points (each a text, or a mapping with a text and more). A gist or
    misconception given without its English wording gets one (`english=False`: as given)."""
    if points is None:
        points = []
    curated = [p if isinstance(p, dict) else {"text": p, "level": "core", "gist": "要点"} for p in points]
    wrong = misconceptions or []
    if english:
        curated = [{"gist_en": "the point", **p} if p.get("gist") else p for p in curated]
        wrong = [{"claim_en": "a wrong claim", "correction_en": "the right statement", **m} for m in wrong]
    return Question.model_validate(
        {
            "id": "q-lint",
            "topic": "python",
            "question": "What is it?",
            "answer": "An answer. ![figure](https://example.org/f.png)",
            "answer_kind": answer_kind,
            "key_points": curated,
            "misconceptions": wrong,
        }
    )


def with_good(text: str) -> Question:
    """`text` as the first point, followed by two other good points."""
    return question([text, *[g for g in (GOOD_1, GOOD_2, GOOD_3) if g != text][:2]])


def assert_found(findings: list[tuple[str, str]], loc: str, fragment: str) -> None:
    assert any(where == loc and fragment in message for where, message in findings), (
        f"no finding at {loc} mentioning {fragment!r} in {findings}"
    )


# --- one bad point among good ones: each rule on the point's text ----------------------------------

BAD_POINTS = [
    # heading / label
    ("损失函数的角度：", "heading (ends with a colon)"),
    ("Dropout的优点:", "heading (ends with a colon)"),
    ("# 优化器", "heading (starts with '#')"),
    ("优点", "looks like a label"),
    ("损失函数的角度", "looks like a label"),
    ("计算量方面", "looks like a label"),
    ("BN的作用", "looks like a label"),
    ("两者的区别。", "looks like a label"),
    ("梯度消失的原因", "looks like a label"),
    # fragment: unbalanced brackets and quotes
    ("Hessian矩阵（二阶导信息，存储量过大", "unbalanced （）"),
    ("输出形状为(batch, n, dim，和输入一样", "unbalanced ()"),
    ("多出一个右括号)的写法", "unbalanced ()"),
    ("用[MASK替换被遮住的输入词", "unbalanced []"),
    ("【注意力的复杂度是序列长度的平方", "unbalanced 【】"),
    ("所谓「梯度消失就是梯度越传越小", "unbalanced 「」"),
    ("这就是“自注意力的核心思想", "unbalanced “”"),
    # fragment: dangling end
    ("Adam结合了动量和自适应学习率，", "ends with '，'"),
    ("常见的归一化有BN、LN、", "ends with '、'"),
    ("损失等于交叉熵加上正则项 +", "ends with '+'"),
    ("残差块的输出 H(x) =", "ends with '='"),
    ("平方误差对预测的导数是 2*", "ends with '*'"),
    ("梯度要除以 batch size /", "ends with '/'"),
    ("学习率按 step 衰减 -", "ends with '-'"),
    ("复杂度是 n^", "ends with '^'"),
    ("Adam同时记录一阶矩和二阶矩,", "ends with ','"),
    # fragment: needs the sentence before it
    ("所以深度学习框架的优化器都基于一阶梯度信息", "starts with '所以'"),
    ("因此权重要随机初始化来打破对称", "starts with '因此'"),
    ("而且矩阵可能是奇异的，不可逆", "starts with '而且'"),
    ("而LN对单个样本的所有特征做归一化", "starts with '而'"),
    # fragment: figure references
    ("如上图所示，残差块有两条路径", "refers to a figure"),
    ("下图中的曲线是训练损失随轮次的变化", "refers to a figure"),
    ("如图，卷积核在输入上滑动", "refers to a figure"),
    ("网络结构见图2中的编码器部分", "refers to a figure"),
    # length
    ("BN", "too short"),
    ("梯度", "too short"),
    ("注意力" + "很重要" * 27, "too long"),
]


@pytest.mark.parametrize(("text", "fragment"), BAD_POINTS, ids=[text[:12] for text, _ in BAD_POINTS])
def test_bad_point_is_flagged_at_its_place(text: str, fragment: str) -> None:
    findings = lint_question(with_good(text))
    assert_found(findings, "key_points.0", fragment)
    assert all(loc == "key_points.0" for loc, _ in findings), findings  # the good points are not dragged in


@pytest.mark.parametrize("connective", ["首先", "其次", "此外", "然后", "同理", "因此", "所以", "而且", "并且", "但是", "而", "另外", "总之"])
def test_every_connective_that_needs_the_previous_sentence_is_flagged(connective: str) -> None:
    assert any(f"starts with {connective!r}" in m for m in lint_point(f"{connective}模型在验证集上的效果变差", 1))


def test_message_numbers_the_point_from_1_and_says_what_to_do() -> None:
    findings = lint_question(question([GOOD_1, GOOD_2, "损失函数的角度："]))
    assert findings == [
        ("key_points.2", "key point 3 looks like a heading (ends with a colon): write the claim itself")
    ]


def test_length_limits_are_inclusive_of_4_and_80_characters() -> None:
    assert lint_point("ReLU", 1) == []
    assert lint_point("a" * MAX_CHARS, 1) == []
    assert any("too long" in m for m in lint_point("a" * (MAX_CHARS + 1), 1))
    assert any("too short" in m for m in lint_point("abc", 1))


# --- good points: real curated points that come close to a rule -----------------------------------

GOOD_POINTS = [
    GOOD_1,  # "1-p": an operator, but not at the end
    GOOD_2,  # "特征图上" / "图像上": pictures, not a figure reference
    "Python用引用计数管理对象：每个对象的核心结构体PyObject里都有引用计数ob_refcnt",  # colon inside
    "训练时最好让两类数据趋向1:1，避免模型偏向占比大的那一类",
    "引用计数的缺点之一是维护计数本身要消耗资源",  # a label word, in a claim
    "BN和权重衰退的作用并不类似",
    "并集面积等于两个框的面积之和减去交集面积",  # "并", not the connective "并且"
    "输出的形状和输入一样，仍是（batch, n, dim）",  # ends with a closing bracket
    "均匀分布在[-r,r]内采样时方差为r²/3，要得到方差σ²应取r=√3σ",
    "从前往后逐层递推，r_l = r_{l-1} + (k_l − 1) × j_{l-1}，其中k_l是本层核大小",
    "牛顿法的更新需要对Hessian矩阵求逆，计算量大，而且矩阵可能是奇异的（不可逆）",
]

# Made-up texts for the edges of a rule: a label word with a verb; an image (图像), not a figure.
GOOD_EDGES = ["两者没有区别", "这是BN的作用", "在低分辨率下图像会变模糊", "yields values lazily"]


@pytest.mark.parametrize("text", GOOD_POINTS + GOOD_EDGES, ids=[t[:12] for t in GOOD_POINTS + GOOD_EDGES])
def test_good_point_is_not_flagged(text: str) -> None:
    assert lint_point(text, 1) == []
    assert lint_question(with_good(text)) == []


def test_good_points_are_real_curated_points_of_the_shipped_bank(taxonomy: Taxonomy) -> None:
    texts = {p.text for q in load_bank(REAL_BANK, taxonomy).questions for p in q.key_points}
    assert [t for t in GOOD_POINTS if t not in texts] == []


# --- rules on the question as a whole --------------------------------------------------------------


def test_equal_points_after_normalising_are_duplicates() -> None:
    findings = lint_question(question(["Dropout能防止过拟合。", GOOD_1, "dropout 能防止过拟合"]))
    assert findings == [("key_points.2", "key points 1 and 3 say the same thing: merge or reword them")]


def test_near_identical_points_are_duplicates() -> None:
    findings = lint_question(
        question(["BN对每个通道在一个batch内计算均值和方差来归一化", "BN对每个通道在一个batch内计算均值与方差来归一化"])
    )
    assert_found(findings, "key_points.1", "key points 1 and 2 say the same thing")


def test_different_points_on_the_same_subject_are_not_duplicates() -> None:
    """Real pair from the shipped bank (fuzz.ratio about 60 once normalised)."""
    bn = "BN是对一个batch内所有样本的同一个特征（通道）计算均值和方差来做归一化"
    ln = "LN是对单个样本内部的所有特征计算均值和方差来做归一化，不依赖其他样本"
    assert lint_question(question([bn, ln])) == []


def test_more_than_7_points_are_flagged_and_7_are_not() -> None:
    texts = [f"第{i}个要点说的是一件完全不同的事情编号{i * 7919}" for i in range(1, 9)]
    assert lint_question(question(texts[:7])) == []
    assert lint_question(question(texts)) == [
        ("key_points", "8 key points (at most 7): merge them or drop minor details")
    ]


@pytest.mark.parametrize("kind", ["text", "code"])
def test_a_single_curated_point_of_a_text_or_code_answer_is_flagged(kind: str) -> None:
    answer = question([GOOD_1], answer_kind=kind)
    assert lint_question(answer) == [("key_points", "only 1 key point: split the answer into 2-7 claims")]


def test_a_single_point_is_allowed_when_not_curated_or_not_text() -> None:
    extracted = Question.model_validate(
        {"id": "q-plain", "topic": "python", "question": "Q?", "answer": "It yields values lazily.",
         "answer_kind": "text", "key_points": ["yields values lazily"]}
    )
    assert lint_question(extracted) == []
    assert lint_question(question([GOOD_1], answer_kind="image")) == []
    unanswered = Question.model_validate({"id": "q-open", "topic": "python", "question": "Q?"})
    assert lint_question(unanswered) == []


def test_points_none_of_which_is_core_are_flagged() -> None:
    details = [{"text": GOOD_1, "level": "detail"}, {"text": GOOD_2, "level": "detail"}]
    assert lint_question(question(details)) == [
        ("key_points", "none of the 2 key points is core: mark those a pass needs as core")
    ]
    assert lint_question(question([details[0], {"text": GOOD_2, "level": "core"}])) == []


def test_gist_that_repeats_the_point_is_flagged() -> None:
    points = [{"text": "BN的均值方差按batch统计", "gist": "BN的均值、方差按batch统计"}, GOOD_1]
    assert lint_question(question(points)) == [
        ("key_points.0.gist", "gist of key point 1 repeats the point: name it in a few words")
    ]


def test_gist_longer_than_20_characters_is_flagged() -> None:
    long_gist = "每个神经元以概率p保留并以1-p的概率置0"  # 21 characters
    assert len(long_gist) == 21
    findings = lint_question(question([{"text": GOOD_1, "gist": long_gist}, GOOD_2]))
    assert_found(findings, "key_points.0.gist", "is 21 characters (at most 20)")
    assert lint_question(question([{"text": GOOD_1, "gist": "Hessian存储过大"}, GOOD_2])) == []


def test_misconception_whose_claim_equals_its_correction_is_flagged() -> None:
    wrong = {"claim": "Adam不用梯度平方", "correction": "Adam不用梯度平方。"}
    assert lint_question(question([GOOD_1, GOOD_2], misconceptions=[wrong])) == [
        ("misconceptions.0", "misconception 1: the claim equals its correction")
    ]


def test_misconception_whose_claim_is_a_key_point_is_flagged() -> None:
    wrong = {"claim": "训练时每个神经元以概率p保留, 以1-p的概率输出置0", "correction": "训练时每个神经元以概率p置0"}
    right = {"claim": "Dropout在测试时也随机置0", "correction": "测试时不置0，用全部神经元"}
    findings = lint_question(question([GOOD_1, GOOD_2], misconceptions=[right, wrong]))
    assert findings == [("misconceptions.1", "misconception 2 claims what key point 1 says: a misconception must be wrong")]


# --- English wordings: English screens show them, else the Chinese ---------------------------------


def test_gist_without_english_is_flagged_at_the_gist() -> None:
    points = [{"text": GOOD_1, "gist": "训练时随机置0"}, {"text": GOOD_2, "gist": "感受野的定义", "gist_en": "what a receptive field is"}]
    assert lint_question(question(points, english=False)) == [
        ("key_points.0.gist", "gist of key point 1 has no English wording: add gist_en after it")
    ]


def test_misconception_without_english_is_flagged_at_its_claim_and_correction() -> None:
    wrong = [
        {"claim": "dropout在测试时也随机置0", "correction": "测试时不丢弃", "correction_en": "Nothing is dropped at test time"},
        {"claim": "dropout是永久剪掉神经元", "claim_en": "Dropout permanently prunes neurons", "correction": "只是暂时置0"},
    ]
    points = [{"text": text, "gist": "要点", "gist_en": "the point"} for text in (GOOD_1, GOOD_2)]
    assert lint_question(question(points, misconceptions=wrong, english=False)) == [
        ("misconceptions.0.claim", "the claim of misconception 1 has no English wording: add claim_en after it"),
        ("misconceptions.1.correction", "the correction of misconception 2 has no English wording: add correction_en after it"),
    ]


@pytest.mark.parametrize(
    ("english", "fragment"),
    [
        ("训练时随机置0", "has its Chinese text as gist_en: translate it"),
        ("zeroed at random 训练时", "has Chinese ('训') in gist_en"),
        ("zeroed at random，in training", "has Chinese ('，') in gist_en"),
    ],
)
def test_english_gist_that_is_not_english_is_flagged_at_the_english(english: str, fragment: str) -> None:
    findings = lint_question(question([{"text": GOOD_1, "gist": "训练时随机置0", "gist_en": english}, GOOD_2]))
    assert_found(findings, "key_points.0.gist_en", fragment)


def test_a_quoted_chinese_term_in_english_is_allowed() -> None:
    wrong = [{"claim": "「残差」分支要加参数", "claim_en": "The 「残差」 (residual) branch needs parameters",
              "correction": "恒等分支没有参数", "correction_en": "The identity shortcut has no parameters"}]  # fmt: skip
    assert lint_question(question([GOOD_1, GOOD_2], misconceptions=wrong)) == []


def test_english_misconception_copied_from_the_chinese_is_flagged() -> None:
    wrong = [{"claim": "Adam不用梯度平方", "claim_en": "Adam不用梯度平方", "correction": "Adam也用梯度平方",
              "correction_en": "Adam also keeps an average of squared gradients"}]  # fmt: skip
    assert lint_question(question([GOOD_1, GOOD_2], misconceptions=wrong)) == [
        ("misconceptions.0.claim_en", "the claim of misconception 1 has its Chinese text as claim_en: translate it")
    ]


def test_english_gist_that_repeats_the_point_or_is_long_is_flagged() -> None:
    en = "During training each neuron is kept with probability p"
    repeating = {"text": GOOD_1, "gist": "训练时随机置0", "gist_en": en.lower() + ".", "en": en}
    assert lint_question(question([repeating, GOOD_2])) == [
        ("key_points.0.gist_en", "gist_en of key point 1 repeats the point: name it in a few words")
    ]
    long = {"text": GOOD_1, "gist": "训练时随机置0", "gist_en": "each neuron is kept with probability p during training"}
    assert len(long["gist_en"]) > MAX_GIST_EN_CHARS
    assert_found(lint_question(question([long, GOOD_2])), "key_points.0.gist_en", "characters (at most 50)")


def test_english_gist_without_a_gist_is_flagged() -> None:
    assert lint_question(question([{"text": GOOD_1, "gist_en": "zeroed at random"}, GOOD_2])) == [
        ("key_points.0.gist_en", "key point 1 has gist_en but no gist: add the gist it translates")
    ]


# --- files: each finding at the line of its field -------------------------------------------------

HAND_WRITTEN = """\
questions:
- id: q-alpha
  topic: python
  question: What does a generator do?
  answer: It yields values lazily, one at a time.
  answer_kind: text
  key_points:
  - text: 生成器按需逐个产生值，不会一次性算出全部结果
    level: core
    gist: 惰性产生值
    gist_en: values on demand
  - 生成器的优点：
  - text: 生成器只能遍历一次，用完就耗尽了
    level: detail
    gist: 生成器只能遍历一次，用完就耗尽了
    gist_en: one pass only
  misconceptions:
  - claim: 生成器会把所有值先存进列表
    claim_en: A generator first stores all its values in a list
    correction: 生成器会把所有值先存进列表
    correction_en: A generator produces values on demand
"""


def line_no(text: str, needle: str, occurrence: int = 1) -> int:
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} occurs {len(hits)} time(s)"
    return hits[occurrence - 1]


def test_lint_bank_file_reports_each_finding_at_the_line_of_its_field(tmp_path: Path) -> None:
    path = tmp_path / "hand.yaml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    got = lint_bank_file(path)
    assert got == [
        BankProblem(str(path), line_no(HAND_WRITTEN, "- 生成器的优点："),
                    "q-alpha: key point 2 looks like a heading (ends with a colon): write the claim itself"),
        BankProblem(str(path), line_no(HAND_WRITTEN, "gist: 生成器只能遍历一次"),
                    "q-alpha: gist of key point 3 repeats the point: name it in a few words"),
        BankProblem(str(path), line_no(HAND_WRITTEN, "- claim:"),
                    "q-alpha: misconception 1: the claim equals its correction"),
    ]


def test_lint_bank_file_reports_missing_english_at_the_line_of_what_it_translates(tmp_path: Path) -> None:
    path = tmp_path / "hand.yaml"
    chinese_only = "".join(line for line in HAND_WRITTEN.splitlines(keepends=True) if "_en:" not in line)
    path.write_text(chinese_only, encoding="utf-8")
    english = [p for p in lint_bank_file(path) if "English" in p.message]
    assert [(p.line, p.message) for p in english] == [
        (line_no(chinese_only, "gist: 惰性产生值"), "q-alpha: gist of key point 1 has no English wording: add gist_en after it"),
        (line_no(chinese_only, "gist: 生成器只能遍历一次"),
         "q-alpha: gist of key point 3 has no English wording: add gist_en after it"),
        (line_no(chinese_only, "- claim:"), "q-alpha: the claim of misconception 1 has no English wording: add claim_en after it"),
        (line_no(chinese_only, "correction:"),
         "q-alpha: the correction of misconception 1 has no English wording: add correction_en after it"),
    ]  # fmt: skip


def test_lint_bank_file_returns_schema_problems_of_an_invalid_file_instead(tmp_path: Path) -> None:
    path = tmp_path / "hand.yaml"
    path.write_text(HAND_WRITTEN.replace("answer_kind: text", "answer_kind: nonsense"), encoding="utf-8")
    got = lint_bank_file(path)
    assert got and all("answer_kind" in p.message for p in got)


def test_shipped_bank_lints_clean(taxonomy: Taxonomy) -> None:
    bank = load_bank(REAL_BANK, taxonomy)
    assert len(bank.files) == len(bank_files(REAL_BANK)) > 0
    problems = [str(p) for path, bank_file in bank.files.items() for p in lint_bank_file(path, bank_file)]
    assert problems == [], "the shipped bank has lint findings:\n" + "\n".join(problems)


# --- the command -----------------------------------------------------------------------------------


def run_validate(tmp_path: Path, bank: Path) -> Result:
    config = tmp_path / "config.yaml"
    config.write_text(f"bank:\n  dir: {json.dumps(str(bank))}\n", encoding="utf-8")
    return CliRunner().invoke(cli, ["--config", str(config), "bank", "validate"])


def test_validate_reports_a_heading_like_point_of_a_real_bank_file(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    target = bank / SAMPLE.name
    shutil.copy(SAMPLE, target)
    original = "  - text: 牛顿法的更新需要对Hessian矩阵求逆，计算量大，而且矩阵可能是奇异的（不可逆）\n"
    text = target.read_text(encoding="utf-8")
    assert text.count(original) == 1
    text = text.replace(original, "  - text: 牛顿法的缺点：\n")
    target.write_text(text, encoding="utf-8")
    line = line_no(text, "- text: 牛顿法的缺点：")

    result = run_validate(tmp_path, bank)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    reported = [l for l in result.stderr.splitlines() if l and not l.startswith("mockbot: ")]
    assert f"{target}:{line}: 003-3189d8: key point 2 looks like a heading (ends with a colon): write the claim itself" in reported
    assert f"mockbot: {len(reported)} problem(s) in the question bank" in result.stderr


def test_validate_reports_only_the_lint_findings_of_an_otherwise_valid_file(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "hand.yaml").write_text(HAND_WRITTEN, encoding="utf-8")
    result = run_validate(tmp_path, bank)
    assert result.exit_code == 1, result.output
    reported = [l for l in result.stderr.splitlines() if l and not l.startswith("mockbot: ")]
    assert [l.split(": ", 1)[0] for l in reported] == [
        f"{bank / 'hand.yaml'}:{line_no(HAND_WRITTEN, needle)}"
        for needle in ("- 生成器的优点：", "gist: 生成器只能遍历一次", "- claim:")
    ]
    assert "mockbot: 3 problem(s) in the question bank" in result.stderr


def test_validate_passes_a_clean_file(tmp_path: Path) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    clean = (
        HAND_WRITTEN.replace("  - 生成器的优点：\n", "  - 生成器用yield暂停并保存函数的执行状态\n")
        .replace("    gist: 生成器只能遍历一次，用完就耗尽了\n", "    gist: 只能遍历一次\n")
        .replace("    correction: 生成器会把所有值先存进列表\n", "    correction: 生成器按需产生值，不预先存下全部结果\n")
    )
    (bank / "hand.yaml").write_text(clean, encoding="utf-8")
    result = run_validate(tmp_path, bank)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: 1 questions in 1 files")


# --- `mockbot bank show` ---------------------------------------------------------------------------


def test_show_marks_detail_points_and_lists_misconceptions(taxonomy: Taxonomy) -> None:
    shown = question(
        [GOOD_1, {"text": GOOD_2, "level": "detail"}],
        misconceptions=[{"claim": "测试时也随机置0", "correction": "测试时用全部神经元"}],
    )
    out = _render(shown, taxonomy).splitlines()
    at = out.index("Key points:")
    assert out[at + 1 : at + 3] == [f"  1. {GOOD_1}", f"  2. {GOOD_2} (detail)"]
    assert out[at + 3 :] == ["", "Misconceptions:", "  - 测试时也随机置0 → 测试时用全部神经元"]


def test_show_has_no_misconceptions_section_without_misconceptions(taxonomy: Taxonomy) -> None:
    assert "Misconceptions:" not in _render(question([GOOD_1, GOOD_2]), taxonomy)
