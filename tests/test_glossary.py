"""The shipped glossary as data: its size and consistency, the paraphrases it merges, the antonym
swaps it turns into contradiction cues, and the near-miss words it must leave alone.

Everything runs on the real file (`grading/glossary.yaml`) through `load_glossary`; no embedding model.
"""

from __future__ import annotations

import re

import pytest

from grading.contradiction import Polarity, flips, polarity
from grading.glossary import Glossary, load_glossary
from grading.text import normalize, tokens
from questions.yamlio import YamlError

_CJK = re.compile(r"[\u4e00-\u9fff]")
_NEGATION_PREFIXES = ("不", "没", "无", "非")
# Groups that were written with negated forms on purpose (a negated statement as one term).
_NEGATED_GROUPS = frozenset({"不可修改", "不相同"})


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    """The shipped glossary; loading it also teaches the segmenter its terms."""
    return load_glossary()


def pol(text: str, glossary: Glossary) -> Polarity:
    """A clause's polarity exactly as the grader computes it."""
    return polarity(tokens(glossary.canonical(text)), glossary.negation_words, glossary.synonym_of)


# ---------------------------------------------------------------- size and consistency


def test_glossary_has_at_least_300_entries(glossary: Glossary) -> None:
    """Alias groups plus antonym pairs (negation words do not count)."""
    assert len(glossary.groups) + len(glossary.antonyms) >= 300


def test_no_alias_appears_in_two_groups(glossary: Glossary) -> None:
    owner: dict[str, str] = {}
    clashes = []
    for group in glossary.groups:
        for alias in dict.fromkeys(normalize(a) for a in group):
            if alias in owner:
                clashes.append(f"{alias!r} in [{owner[alias]}, …] and [{group[0]}, …]")
            owner[alias] = group[0]
    assert not clashes


def test_no_alias_is_repeated_inside_its_group(glossary: Glossary) -> None:
    repeated = [g[0] for g in glossary.groups if len({normalize(a) for a in g}) != len(g)]
    assert not repeated


def test_no_antonym_pair_collapses_to_one_term(glossary: Glossary) -> None:
    collapsed = [(a, b) for a, b in glossary.antonyms if glossary.canonical(a) == glossary.canonical(b)]
    assert not collapsed


def test_no_chinese_alias_of_one_character(glossary: Glossary) -> None:
    """A one-character alias would be rewritten inside every longer word that contains it."""
    short = [a for g in glossary.groups for a in g[1:] if _CJK.search(a) and len(normalize(a)) == 1]
    assert not short


def test_only_known_canonical_forms_have_one_character(glossary: Glossary) -> None:
    """键 (a dict's key) is an old one-character canonical form: rewriting 键 to 键 changes no text."""
    short = {g[0] for g in glossary.groups if _CJK.search(g[0]) and len(normalize(g[0])) == 1}
    assert short <= {"键"}


def test_no_new_alias_starts_with_a_negation(glossary: Glossary) -> None:
    """Negated forms stay split so that polarity sees the negation (only the two old groups of
    negated statements have them)."""
    negated = [
        a
        for g in glossary.groups
        if normalize(g[0]) not in _NEGATED_GROUPS
        for a in g
        if normalize(a).startswith(_NEGATION_PREFIXES) and normalize(a) not in {"非线性", "非线性变换", "非极大值抑制", "非极大抑制"}
    ]
    assert not negated


# ---------------------------------------------------------------- paraphrases are one term

PARAPHRASES = [
    ("训练时神经元失活", "训练时神经元丢弃"),
    ("随机失活", "Dropout"),  # dropout's Chinese name, not a verb phrase
    ("推理阶段", "测试阶段"),
    ("Batch Normalization", "批归一化"),
    ("训练时把神经元置0", "训练时把神经元丢弃"),
    ("输出置零", "输出丢掉"),
    ("GroupNorm", "组归一化"),
    ("Layer Normalization", "层归一化"),
    ("梯度弥散", "vanishing gradient"),
    ("梯度截断", "gradient clipping"),
    ("early stopping", "提前停止"),
    ("图像增广", "data augmentation"),
    ("学习率warmup", "学习率预热"),
    ("lr decay", "学习率衰减"),
    ("每个mini-batch", "每个小批次"),
    ("每个batch的均值", "每个批量的均值"),
    ("stride为2", "步幅为2"),
    ("zero padding", "补零"),
    ("输出的feature map", "输出的特征图"),
    ("反卷积", "transposed convolution"),
    ("膨胀卷积", "空洞卷积"),
    ("FFN", "前馈神经网络"),
    ("词嵌入", "word embedding"),
    ("位置嵌入", "positional encoding"),
    ("加mask", "加掩码"),
    ("MLM", "masked language model"),
    ("NSP任务", "next sentence prediction任务"),
    ("下游fine-tuning", "下游微调"),
    ("pre-training", "预训练"),
    ("LSTM", "long short-term memory"),
    ("GRU", "门控循环单元"),
    ("reset gate", "重置门"),
    ("hidden state", "隐藏状态"),
    ("precision和recall", "查准率和查全率"),
    ("accuracy", "正确率"),
    ("KL divergence", "相对熵"),
    ("standard deviation", "标准差"),
    ("internal covariate shift", "协变量偏移"),
    ("L2正则化", "weight decay"),
    ("shallow copy", "浅复制"),
    ("copy.deepcopy", "深拷贝"),
    ("garbage collection", "垃圾回收"),
    ("GIL", "全局解释器锁"),
    ("ob_refcnt", "引用计数"),
    ("autograd", "自动微分"),
    ("computational graph", "计算图"),
    ("显卡内存", "GPU memory"),
    ("DataLoader", "data loader"),
    ("one-hot", "独热编码"),
    ("Hessian matrix", "黑塞矩阵"),
    ("kernel trick", "核函数"),
    ("logistic regression", "逻辑回归"),
    ("预测框", "bbox"),
    ("检测框", "候选框"),
    ("ResNet", "残差网络"),
    ("权值更新", "权重更新"),
    ("推理时用running mean", "测试时用滑动平均"),
    ("噪音", "噪声"),
    ("Pre-LN", "pre-norm"),
]


@pytest.mark.parametrize(("said", "also_said"), PARAPHRASES)
def test_paraphrases_canonicalise_to_the_same_text(glossary: Glossary, said: str, also_said: str) -> None:
    assert glossary.canonical(said) == glossary.canonical(also_said)


def test_the_paraphrase_table_is_large_enough() -> None:
    assert len(PARAPHRASES) >= 30


# ---------------------------------------------------------------- antonym swaps are contradictions

SWAPS = [
    ("dropout能缓解过拟合", "dropout能缓解欠拟合"),
    ("sigmoid容易导致梯度消失", "sigmoid容易导致梯度爆炸"),
    ("梯度裁剪用来防止梯度爆炸", "梯度裁剪用来防止梯度消失"),
    ("转置卷积用于上采样", "转置卷积用于下采样"),
    ("对少数类做过采样", "对少数类做欠采样"),
    ("浅拷贝只复制外层对象", "深拷贝只复制外层对象"),
    ("pytorch默认使用动态图", "pytorch默认使用静态图"),
    ("1x1卷积可以用来降维", "1x1卷积可以用来升维"),
    ("BERT是双向的语言模型", "BERT是单向的语言模型"),
    ("HMM是生成模型", "HMM是判别模型"),
    ("GIL限制了多线程的并行", "GIL限制了多进程的并行"),
    ("数据增强只在训练集上做", "数据增强只在测试集上做"),
    ("浅层学到边缘纹理等局部特征", "深层学到边缘纹理等局部特征"),
    ("线性回归预测的是连续值", "线性回归预测的是离散值"),
    ("元组大小固定", "元组大小可变"),
    ("反向传播计算梯度", "前向传播计算梯度"),
    ("dropout训练时丢弃神经元", "dropout推理时丢弃神经元"),
    ("BERT的位置编码是可学习的", "BERT的位置编码是固定的"),
    ("Post-Norm训练不稳定", "Pre-Norm训练不稳定"),
    ("正样本的标签是1", "负样本的标签是1"),
    ("softmax用于多分类", "softmax用于二分类"),
    ("朴素贝叶斯要估计先验概率", "朴素贝叶斯要估计后验概率"),
    ("点积的方差与d_k成正比", "点积的方差与d_k成反比"),
    ("decoder用下三角掩码", "decoder用上三角掩码"),
    ("重置门决定丢弃多少过去的信息", "更新门决定丢弃多少过去的信息"),
    ("软间隔允许部分样本违反约束", "硬间隔允许部分样本违反约束"),
    ("layer norm对每个样本归一化", "batch norm对每个样本归一化"),
    ("Adam用到了一阶矩", "Adam用到了二阶矩"),
    ("weight decay makes weights smaller", "weight decay makes weights larger"),
    # English antonyms match in any form (stemmed as replies are): "decreases" for decrease.
    ("a larger batch decreases the gradient noise", "a larger batch increases the gradient noise"),
    ("L1 gives sparse weights", "L2 gives sparse weights"),
    ("precision is the share of predicted positives that are correct", "recall is the share of predicted positives that are correct"),
    ("reshape may copy the data", "view may copy the data"),
    ("normalise before the activation", "normalise after the activation"),
]


@pytest.mark.parametrize(("point", "swapped"), SWAPS)
def test_an_antonym_swap_flips_the_point(glossary: Glossary, point: str, swapped: str) -> None:
    assert flips(pol(point, glossary), pol(swapped, glossary), glossary) % 2 == 1


@pytest.mark.parametrize(("point", "swapped"), SWAPS)
def test_the_point_itself_does_not_flip(glossary: Glossary, point: str, swapped: str) -> None:
    assert flips(pol(point, glossary), pol(point, glossary), glossary) == 0


# Compound terms must not swallow the word a negation applies to: 权重共享 as one term would hide
# the 不 of 权重不共享.
NEGATED = [
    ("CNN的卷积核权重共享", "CNN的卷积核权重不共享"),
    ("训练时数值稳定", "训练时数值不稳定"),
    ("view要求张量内存连续", "view要求张量内存不连续"),
    ("有监督学习需要标签", "无监督学习需要标签"),
    ("训练集类别不平衡时要重采样", "训练集类别平衡时要重采样"),
    ("relu是非线性的", "relu是线性的"),
]


@pytest.mark.parametrize(("point", "negated"), NEGATED)
def test_a_negated_clause_still_flips_the_point(glossary: Glossary, point: str, negated: str) -> None:
    assert flips(pol(point, glossary), pol(negated, glossary), glossary) % 2 == 1


# ---------------------------------------------------------------- near misses are left alone

NEAR_MISSES = [
    ("预测值", "预测值"),  # 预测 is no alias of 测试
    ("剩下的预测框", "剩下的边界框"),  # … and 预测框 is a box, not a 测试框
    ("bnn model", "bnn model"),
    ("训练时间长", "训练时间长"),  # not 训练间长 (the alias 训练时)
    ("推理时间", "测试时间"),  # not 测试间
    ("真正例", "真正例"),  # not 真正样本 (the alias 正例)
    ("使用一组卷积核", "使用一组卷积核"),  # not 一分组卷积核
    ("多维数组", "多维数组"),  # not 多维度组
    ("类标签", "类标签"),
    ("词嵌入矩阵", "词向量矩阵"),  # not 词词向量矩阵 (the alias 嵌入)
    ("可学习的位置嵌入", "可学习的位置编码"),
    ("l2正则化", "权重衰减"),  # not 权重衰减化 (the alias l2正则)
    ("update the parameters", "update the 参数"),  # parameters is no 参数量
    ("决策树的节点", "决策树的节点"),  # 节点 is no 神经元
    ("adamw", "adamw"),
    ("kernel function", "核函数"),  # not 卷积核 function
    ("k-means", "k-means"),
    ("requires_grad", "requires_grad"),
    ("masked tokens", "masked token"),
    ("通过高斯分布初始化", "通过正态分布初始化"),
    ("通过小批量训练", "通过小批量训练"),
    ("无监督学习", "无监督学习"),
    ("深度学习", "深度学习"),  # 深度 alone is no 层数
    ("关键点", "关键点"),
    ("一阶矩", "一阶矩"),
    ("次梯度", "次梯度"),
    ("mean average precision", "平均精度均值"),
]


@pytest.mark.parametrize(("text", "expected"), NEAR_MISSES)
def test_near_miss_words_are_not_rewritten(glossary: Glossary, text: str, expected: str) -> None:
    assert glossary.canonical(text) == expected


def test_prediction_is_not_the_test_phase(glossary: Glossary) -> None:
    assert glossary.canonical("预测值") != glossary.canonical("测试值")
    assert "测试" not in glossary.canonical("模型的预测概率")


@pytest.mark.parametrize("text", ["训练时间", "测试时间", "类别不平衡", "权重不共享"])
def test_no_canonical_text_loses_a_character_of_a_longer_word(glossary: Glossary, text: str) -> None:
    """Whatever a text is rewritten to, its tokens still read as words, not fragments (间, 化)."""
    assert all(len(t) > 1 or t in {"不"} for t in tokens(glossary.canonical(text)))


def test_a_term_inside_another_word_is_not_mentioned(glossary: Glossary) -> None:
    """键 (a dict's key) is not mentioned by 关键; it is by 字典的键."""
    assert "键" not in glossary.terms_in("核大小是三个超参数中最关键的")
    assert "键" in glossary.terms_in("元组可以作为字典的键")


def test_nms_is_not_read_as_a_negation(glossary: Glossary) -> None:
    """非极大值抑制 is a name: its 非 negates nothing, and 做NMS stays 做 + the term."""
    assert tokens(glossary.canonical("做非极大值抑制")) == tokens(glossary.canonical("做NMS")) == ["做", "nms"]
    assert not polarity(tokens(glossary.canonical("按类别分别做非极大值抑制")), glossary.negation_words).negated


# ---------------------------------------------------------------- everyday synonyms in claims


def test_synonym_groups_are_everyday_words_not_terms(glossary: Glossary) -> None:
    """A group's first word, what claims read, may be a term's canonical form (丢 is read as 丢弃,
    which it cannot be an alias of: aliases are replaced inside words, and 丢 is inside 丢失)."""
    words = [normalize(w) for group in glossary.synonyms for w in group]
    assert len(words) == len(set(words)), "a word in two synonym groups"
    others = [normalize(w) for group in glossary.synonyms for w in group[1:]]
    assert not [w for w in others if glossary.is_term(w)], "a synonym that is also a glossary term"
    firsts = [normalize(group[0]) for group in glossary.synonyms]
    assert not [w for w in firsts if glossary.is_term(w) and glossary.canonical(w) != w], "a term read by its alias"


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        ("每个卷积后面先接dropout", "卷积之后加dropout"),
        ("把这些样本删掉", "把这些样本去除"),
        ("测试时采用全局均值", "测试时用全局均值"),
        ("每次迭代丢的都是同一批神经元", "每次迭代丢弃的都是同一批神经元"),
    ],
)
def test_a_claim_reads_an_everyday_synonym_as_its_group(glossary: Glossary, text: str, same_as: str) -> None:
    assert pol(text, glossary).words >= pol(same_as, glossary).words - {"每个", "这些", "把"}


def test_a_negated_synonym_is_still_a_negation(glossary: Glossary) -> None:
    """"不接池化层" reads past the light verb as "不加池化层" does: the pooling layer is denied."""
    assert pol("卷积后面不接池化层", glossary).negated == pol("卷积之后不加池化层", glossary).negated == {"池化层"}


def test_a_synonym_group_of_one_word_names_the_file_and_line(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "glossary.yaml"
    path.write_text("aliases:\n  - [bn, batchnorm]\nsynonyms:\n  - [之后, 后面]\n  - [之前]\n", encoding="utf-8")
    with pytest.raises(YamlError) as info:
        load_glossary(path)
    assert "glossary.yaml" in str(info.value) and ":5" in str(info.value)


@pytest.mark.parametrize(
    ("point", "agreeing", "opposite"),
    [
        # "nothing" denies past the copula; "does" is read past as "is" is
        ("测试时不丢弃任何神经元", "at test time nothing is dropped", "at test time everything is dropped"),
        ("dropout测试时不丢弃神经元", "dropout does not drop neurons at test time", "dropout does drop neurons at test time"),
        # Python's None denies nothing
        ("不调用backward的话grad是None", "without calling backward the grad is None", None),
    ],
)
def test_english_negations_agree_with_the_chinese_point_they_restate(
    glossary: Glossary, point: str, agreeing: str, opposite: str | None
) -> None:
    assert flips(pol(point, glossary), pol(agreeing, glossary), glossary) == 0
    if opposite is not None:
        assert flips(pol(point, glossary), pol(opposite, glossary), glossary) % 2 == 1
