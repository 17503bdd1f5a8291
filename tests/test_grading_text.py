"""Pure helpers of the grader: normalisation, clauses, tokens, glossary aliases, fuzzy keyword
matching and contradiction cues. No embedding model is involved."""

from __future__ import annotations

import pytest

from grading.contradiction import MODAL, MUST, Polarity, flips, polarity
from grading.features import analyse_reply, is_hypothetical
from grading.fuzzy import PREFIX_SCORE, ReplyIndex, keyword_score, knows_any
from grading.glossary import Glossary, load_glossary
from grading.text import normalize, reply_clauses, split_clauses, tokens


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    """The shipped glossary; loading it also teaches the segmenter its terms."""
    return load_glossary()


def pol(text: str, glossary: Glossary) -> Polarity:
    """A clause's polarity exactly as the grader computes it."""
    return polarity(tokens(glossary.canonical(text)), glossary.negation_words, glossary.synonym_of)


def index(reply: str, glossary: Glossary) -> ReplyIndex:
    """A reply indexed exactly as the grader indexes it."""
    return ReplyIndex(tokens(glossary.canonical(reply)))


# ---------------------------------------------------------------- normalize


def test_normalize_turns_full_width_letters_and_digits_into_half_width_lower_case() -> None:
    assert normalize("ＢＮ层ＡＢＣ１２３") == "bn层abc123"


def test_normalize_lower_cases_latin_terms() -> None:
    assert normalize("BatchNorm and ReLU") == "batchnorm and relu"


@pytest.mark.parametrize("written", ["1*1", "1×1", "1 X 1", "1x1", "1 * 1", "１×１"])
def test_normalize_spells_kernel_sizes_one_way(written: str) -> None:
    assert normalize(f"{written}卷积") == "1x1卷积"


def test_normalize_collapses_spaces_and_strips() -> None:
    assert normalize("  训练时 \n\t 丢弃  ") == "训练时 丢弃"


# ---------------------------------------------------------------- split_clauses


def test_split_clauses_cuts_sentences_at_chinese_and_english_ends() -> None:
    assert split_clauses("训练时丢弃。测试时不丢弃！为什么？Dropout helps. It regularises") == [
        "训练时丢弃。",
        "测试时不丢弃！",
        "为什么？",
        "Dropout helps.",
        "It regularises",
    ]


def test_split_clauses_keeps_commas_inside_a_sentence_by_default() -> None:
    assert split_clauses("训练时丢弃，测试时不丢弃，输出乘以p") == ["训练时丢弃，测试时不丢弃，输出乘以p"]


def test_split_clauses_fine_cuts_at_commas() -> None:
    assert split_clauses("训练时丢弃，测试时不丢弃,输出乘以p。", fine=True) == ["训练时丢弃，", "测试时不丢弃,", "输出乘以p。"]


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("在[-r,r]上均匀采样，方差是r²/3", ["在[-r,r]上均匀采样，", "方差是r²/3"]),
        ("框用(x1, y1, x2, y2)表示，交集取最大值", ["框用(x1, y1, x2, y2)表示，", "交集取最大值"]),
        ("可分离卷积（depthwise，pointwise）更省，参数少", ["可分离卷积（depthwise，pointwise）更省，", "参数少"]),
    ],
)
def test_split_clauses_fine_keeps_a_bracketed_list_whole(text: str, clauses: list[str]) -> None:
    """A comma between brackets separates the items of a list or an interval, not two clauses."""
    assert split_clauses(text, fine=True) == clauses


def test_split_clauses_drops_pieces_without_words() -> None:
    assert split_clauses("。。！？ 👍") == []


@pytest.mark.parametrize("text", ["1:1吧", "比例是1:9", "10,000个样本", "1：1吧", "比例是1：9"])
def test_split_clauses_keeps_a_ratio_or_a_number_whole(text: str) -> None:
    assert split_clauses(text, fine=True) == [text]


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        ("The gradient w.r.t. a matrix is a tensor. It grows.", ["The gradient w.r.t. a matrix is a tensor.", "It grows."]),
        ("Add a regulariser, e.g. dropout.", ["Add a regulariser,", "e.g. dropout."]),
        ("BN vs. LN: BN uses the batch.", ["BN vs. LN:", "BN uses the batch."]),
        ("Gradient W.R.T. the weights, i.e. dW.", ["Gradient W.R.T. the weights,", "i.e. dW."]),
    ],
)
def test_split_clauses_does_not_end_a_sentence_at_an_abbreviation(text: str, clauses: list[str]) -> None:
    """「Differentiating a vector w.r.t. | a matrix」 cut a claim from its object."""
    assert split_clauses(text, fine=True) == clauses


def test_split_clauses_cuts_at_a_colon_before_a_number() -> None:
    assert split_clauses("样本数：1000", fine=True) == ["样本数：", "1000"]


def test_tokens_do_not_glue_a_comparisons_than_to_the_next_word() -> None:
    """The segmenter cuts 「空列表比空元组……」 as 比空|元组: 比空 would become a key point's keyword."""
    assert tokens("空列表比空元组占用的内存大")[:4] == ["空", "列表", "空", "元组"]
    assert "比较" in tokens("比较大小") and "比例" in tokens("两类的比例")


@pytest.mark.parametrize(
    ("text", "written"),
    [("QK^T", "qk transpose"), ("W^{T}x", "w transpose x"), ("A^⊤B", "a transpose b"), ("Q K ^ T / √d", "q k transpose / √d"),
     ("x^2", "x^2"), ("x^t2", "x^t2")],
)
def test_normalize_writes_a_transpose_as_the_word(text: str, written: str) -> None:
    """「QK^T」 is Q, K and a transpose, not a word "t"; a power (x^2, x^t2) stays as typed."""
    assert normalize(text) == written


@pytest.mark.parametrize(
    ("text", "ratio"),
    [("1比1", "1:1"), ("1：9", "1:9"), ("一比一", "1:1"), ("十比一", "10:1"), ("比例 3 比 1", "比例 3:1"), ("0.1比0.01大", "0.1比0.01大")],
)
def test_normalize_writes_a_ratio_one_way(text: str, ratio: str) -> None:
    """A ratio typed with 比 or a full-width colon reads as one with ":"; decimals compared are no ratio."""
    assert normalize(text) == ratio


@pytest.mark.parametrize(
    ("clause", "sides"),
    [
        ("list能改tuple不能改", ["list能改", "tuple不能改"]),
        ("训练时丢弃测试时不丢弃。", ["训练时丢弃", "测试时不丢弃。"]),
        ("训练时不缩放测试时缩放", ["训练时不缩放", "测试时缩放"]),
        ("列表可变元组不可变", ["列表可变", "元组不可变"]),
    ],
)
def test_reply_clauses_cut_two_sides_that_say_a_predicate_the_other_way_round(clause: str, sides: list[str]) -> None:
    assert reply_clauses(clause) == sides


@pytest.mark.parametrize("clause", ["会不会过拟合", "好不好用", "不管用不用都一样", "是否需要增广不取决于数量取决于多样性"])
def test_reply_clauses_keep_a_clause_whose_predicate_is_not_said_twice_both_ways(clause: str) -> None:
    assert reply_clauses(clause) == [clause]


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        # cut before 是: cut inside 是因为, 「……震荡大是」 would read 大是 as a word
        ("验证准确率震荡大是因为学习率太小", ["验证准确率震荡大", "是因为学习率太小"]),
        ("之所以快是由于用了C实现", ["之所以快", "是由于用了C实现"]),
        ("效果差是因为数据少", ["效果差是因为数据少"]),  # no piece under four characters
        ("这就是因为数据太少了", ["这就是因为数据太少了"]),
        # a denied reason stays with its denial
        ("梯度不会因为样本多就变大", ["梯度不会因为样本多就变大"]),
        ("效果不好不是因为模型小，而是因为数据少", ["效果不好不是因为模型小，", "而是因为数据少"]),
    ],
)
def test_reply_clauses_cut_before_a_reason_unless_it_is_denied(text: str, clauses: list[str]) -> None:
    assert reply_clauses(text) == clauses


# ---------------------------------------------------------------- tokens and the glossary


def test_tokens_keep_a_glossary_term_whole(glossary: Glossary) -> None:
    assert "批量归一化" in tokens("网络里加了批量归一化以后收敛更快")


def test_tokens_of_canonical_text_give_the_canonical_term(glossary: Glossary) -> None:
    assert tokens(glossary.canonical("批量归一化")) == ["bn"]
    assert "bn" in tokens(glossary.canonical("网络里加了批量归一化以后收敛更快"))


@pytest.mark.parametrize("alias", ["BatchNorm", "batch normalization", "Batch Norm", "批归一化", "批量归一化", "BN"])
def test_canonical_maps_batch_norm_aliases_to_bn(glossary: Glossary, alias: str) -> None:
    assert glossary.canonical(alias) == "bn"


@pytest.mark.parametrize("alias", ["skip connection", "shortcut", "Residual Connection", "跳跃连接"])
def test_canonical_maps_shortcut_aliases_to_residual_connection(glossary: Glossary, alias: str) -> None:
    assert glossary.canonical(alias) == "残差连接"


def test_canonical_rewrites_aliases_inside_a_sentence(glossary: Glossary) -> None:
    assert glossary.canonical("ResNet用skip connection，然后接BatchNorm") == "resnet用残差连接,然后接bn"


@pytest.mark.parametrize("word", ["bnn", "abn", "bn2", "shortcuts"])
def test_canonical_does_not_rewrite_inside_longer_latin_words(glossary: Glossary, word: str) -> None:
    assert glossary.canonical(f"{word} model") == f"{word} model"


# ---------------------------------------------------------------- fuzzy keyword matching


def test_keyword_score_exact_hit_is_one(glossary: Glossary) -> None:
    assert keyword_score("dropout", index("训练时用dropout随机丢弃神经元", glossary)) == 1.0


def test_keyword_score_matches_an_alias_of_the_keyword(glossary: Glossary) -> None:
    # the keyword is canonical ("bn"); the reply says it another way
    assert keyword_score("bn", index("我们在卷积后面接BatchNorm", glossary)) == 1.0


def test_keyword_score_latin_typo_counts_but_less_than_exact(glossary: Glossary) -> None:
    score = keyword_score("dropout", index("训练时用dorpout随机丢弃神经元", glossary))
    assert 0.0 < score < 1.0


def test_keyword_score_pinyin_homophone_counts(glossary: Glossary) -> None:
    score = keyword_score("归一化", index("对每一层的输入做归一话处理", glossary))
    assert 0.0 < score < 1.0


def test_keyword_score_bn_does_not_match_inside_bnn(glossary: Glossary) -> None:
    assert keyword_score("bn", index("bnn是贝叶斯神经网络", glossary)) == 0.0


def test_keyword_score_gives_half_for_the_start_of_a_compound_said_alone(glossary: Glossary) -> None:
    """「历史」 says part of 历史数据: half a hit; 「数据」 (its end) and a word inside a longer one say nothing."""
    assert keyword_score("历史数据", index("τ越大看到的历史越多", glossary)) == PREFIX_SCORE
    assert keyword_score("历史数据", index("τ越大用到的数据越多", glossary)) == 0.0
    assert keyword_score("历史数据", index("历史数据越多效果越好", glossary)) == 1.0


def test_keyword_score_absent_keyword_is_zero(glossary: Glossary) -> None:
    assert keyword_score("dropout", index("学习率先warmup再cosine衰减", glossary)) == 0.0
    assert keyword_score("移动平均", index("学习率先warmup再cosine衰减", glossary)) == 0.0


# ---------------------------------------------------------------- contradiction cues


def test_polarity_marks_the_negated_word(glossary: Glossary) -> None:
    p = pol("测试时不丢弃", glossary)
    assert "丢弃" in p.words
    assert p.negated == {"丢弃"}


@pytest.mark.parametrize(
    ("clause", "denied"),
    [("框架不会在前向时自动算", "自动"), ("不会在训练时丢弃", "丢弃"), ("在测试时不会丢弃", "丢弃")],
)
def test_a_negation_before_a_phrase_of_time_denies_the_verb_after_it(glossary: Glossary, clause: str, denied: str) -> None:
    """「不会在前向时自动算」 says 「在前向时不会自动算」: the negation is not about the forward pass."""
    p = pol(clause, glossary)
    assert denied in p.negated and not p.negated & {"前", "训练", "测试"}, p


def test_not_differentiable_denies_the_word_differentiable_says(glossary: Glossary) -> None:
    """The segmenter cuts 「不可导」 as 不可|导 but keeps 「可导」 whole: both read the word 可导."""
    assert pol("平方损失在0点不可导", glossary).negated == {"可导"}
    assert flips(pol("平方损失处处可导", glossary), pol("平方损失在0点不可导", glossary), glossary) % 2 == 1
    assert pol("元组不可修改", glossary).negated == {"修改", MODAL}  # a verb after 不可 stays "cannot"


@pytest.mark.parametrize("same", ["梯度不会随batch size变大变小", "梯度大小不随着batch size变化", "梯度和batch size没关系"])
def test_not_varying_with_says_what_unrelated_says(glossary: Glossary, same: str) -> None:
    """「不会随batch size变大变小」 dismisses the relation as 「与批量大小无关」 does; 「会随……变大」 turns it around."""
    point = pol("梯度大小与批量大小无关", glossary)
    assert flips(point, pol(same, glossary), glossary) % 2 == 0
    assert flips(point, pol("梯度会随batch size变大", glossary), glossary) % 2 == 1
    assert pol("测试时不随机丢弃", glossary).negated == {"随机"}  # 随机 is no "varies with"


@pytest.mark.parametrize(
    ("point", "clause"),
    [("类别间的相似度缺乏先验、难以量化", "类别之间的相似度我们没有先验"), ("深度学习虽然缺乏理论", "理论说不太清"), ("缺少标注数据", "标注数据不够")],
)
def test_a_lack_turns_nothing_around(glossary: Glossary, point: str, clause: str) -> None:
    """「缺乏先验」 says 「没有先验」, and 「缺乏理论」 what 「理论说不太清」 says: the word after 缺乏/缺少 is
    read both ways (mixed), so neither a negation nor its absence elsewhere flips it."""
    lacking = pol(point, glossary)
    assert lacking.mixed and not lacking.mixed & lacking.negated
    assert flips(lacking, pol(clause, glossary), glossary) == 0


@pytest.mark.parametrize(
    ("point", "clause", "opposite"),
    [
        ("decoder的mask是为了不看到未来的词", "decoder的mask是为了防止看到未来的token", "decoder的mask是为了看到未来的词"),
        ("dropout让模型不容易过拟合", "dropout可以避免模型过拟合", "dropout让模型容易过拟合"),
    ],
)
def test_preventing_turns_nothing_around(glossary: Glossary, point: str, clause: str, opposite: str) -> None:
    """「防止看到」 says what 「不看到」 says, and names what it prevents: read both ways, like 缺乏."""
    assert flips(pol(point, glossary), pol(clause, glossary), glossary) == 0
    assert flips(pol(opposite, glossary), pol(point, glossary), glossary) % 2 == 1  # the control


def test_rarely_before_a_verb_denies_it_and_few_after_a_noun_denies_nothing(glossary: Glossary) -> None:
    """「卷积层很少加dropout」 turns 「dropout一般加在卷积层之后」 around; 「参数很少」 says few, not none."""
    assert flips(pol("dropout一般加在卷积层之后", glossary), pol("卷积层很少加dropout", glossary), glossary) % 2 == 1
    assert pol("卷积层很少加dropout", glossary).negated == {"dropout"}
    assert pol("1x1卷积的参数很少", glossary).negated == frozenset()


@pytest.mark.parametrize("clause", ["BN并不会太多地影响前一层的权重", "BN不会太多影响前一层的权重大小"])
def test_a_negation_softened_by_too_much_denies_the_verb(glossary: Glossary, clause: str) -> None:
    """「不会太多影响」 is 「不会影响」 said softly, whether jieba keeps 太多 whole or cuts it as 太|多;
    a last 「不会太多」 stays a claim on 多."""
    assert pol(clause, glossary).negated == {"影响"}
    assert pol("参数不会太多", glossary).negated == {"多"}


@pytest.mark.parametrize("clause", ["不同层没法用不同的学习率", "不同层没办法用不同的学习率", "不同层没有办法用不同的学习率"])
def test_no_way_to_is_cannot(glossary: Glossary, clause: str) -> None:
    """「没法用」 (one token to jieba) and 「没(有)办法用」 say what 「无法用」 says; 「可以用」 is their other side."""
    assert pol(clause, glossary) == pol("不同层无法用不同的学习率", glossary)
    assert flips(pol("不同层可以用不同的学习率", glossary), pol(clause, glossary), glossary) % 2 == 1


def test_no_good_after_a_noun_is_said_of_the_noun(glossary: Glossary) -> None:
    """「效果不行」 says what 「效果不好」 says (of 效果), not 「不能」; a bare 「不行」 still answers no."""
    assert flips(pol("效果不好就换别的方法", glossary), pol("效果不行就换别的正则手段", glossary), glossary) == 0
    assert pol("效果不行", glossary).negated == {"效果"}
    assert pol("不行", glossary).negated == {"能"}


def test_a_small_batch_is_said_small_however_it_is_typed(glossary: Glossary) -> None:
    """「小batch」 reads 小批次, a glossary alias the segmenter keeps whole (「大batch」 is cut 大|批次):
    「小batch的梯度噪声大」 agrees with 「batch越小梯度噪声越大」 (a good answer was ⚠ and capped at 55),
    and 「小batch的梯度噪声小」 turns it around."""
    point = pol("batch越小梯度噪音越大", glossary)
    assert pol("小batch的梯度噪声大", glossary).words == pol("batch小的梯度噪声大", glossary).words
    assert flips(point, pol("小batch的梯度噪声大", glossary), glossary) % 2 == 0
    assert flips(point, pol("小batch的梯度噪声小", glossary), glossary) % 2 == 1
    assert flips(point, pol("大batch的梯度噪声大", glossary), glossary) % 2 == 1


def test_a_size_glued_to_its_verb_is_a_size(glossary: Glossary) -> None:
    """jieba glues 「乘大」, 「调小」: 「给小的loss乘大一点的系数」 says both sides of 「大的loss系数调小」, as
    the alias means it (a good answer was ⚠ and scored 53 against a fair 80). 「放大」 (to amplify)
    stays one word."""
    point = pol("大的loss系数调小", glossary)
    assert {"乘", "大", "小"} <= pol("给小的loss乘大一点的系数", glossary).words
    assert flips(point, pol("给小的loss乘大一点的系数", glossary), glossary) % 2 == 0
    assert "放大" in pol("学习率会同比例放大所有loss的更新", glossary).words


@pytest.mark.parametrize("clause", ["sigmoid的输出不是以0为中心的", "sigmoid输出不是零中心的", "sigmoid's output is not zero-centered"])
def test_not_centred_on_zero_denies_the_centring_not_the_zero(glossary: Glossary, clause: str) -> None:
    """「不以0为中心」 denies 零中心 as one term: the segmenter would leave the negation on 0."""
    assert pol(clause, glossary).negated == {"零中心化"}
    assert flips(pol("sigmoid的输出是以0为中心的", glossary), pol(clause, glossary), glossary) % 2 == 1


def test_negation_flip_immutable_vs_modifiable_control(glossary: Glossary) -> None:
    """The plain form: "元组不可修改" against "元组可以修改"."""
    assert flips(pol("元组不可修改", glossary), pol("元组可以修改", glossary), glossary) % 2 == 1


def test_negation_flip_immutable_vs_freely_modifiable(glossary: Glossary) -> None:
    """"元组可以随便修改" says the opposite of "元组不可修改" (an adverb sits between 可以 and 修改)."""
    assert flips(pol("元组不可修改", glossary), pol("元组可以随便修改", glossary), glossary) % 2 == 1


def test_what_can_be_done_and_what_can_be_left_undone_do_not_clash(glossary: Glossary) -> None:
    """"可以不用dropout" (may leave it out) and "仍可以使用dropout" (may use it) are both possible;
    "不能用dropout" denies the second."""
    may_use = pol("用了BN的网络仍可以使用dropout", glossary)
    assert flips(may_use, pol("用了BN可以不用dropout", glossary), glossary) % 2 == 0
    assert flips(may_use, pol("用了BN就不能用dropout", glossary), glossary) % 2 == 1


def test_nothing_in_common_is_a_negation(glossary: Glossary) -> None:
    """"毫无共性" says what "没有共性" says."""
    assert pol("同一位置上的词毫无共性", glossary).negated == {"共性"}
    assert flips(pol("同一位置的词之间没有共性", glossary), pol("同一位置上的词毫无共性", glossary), glossary) % 2 == 0


def test_negation_reads_past_the_copula_and_adverbs(glossary: Glossary) -> None:
    assert pol("输出也不是以0为中心", glossary).negated == {"零中心化"}
    assert pol("它并不直接约束前一层的权重", glossary).negated == {"约束"}
    assert pol("list本身并不是迭代器", glossary).negated == {"迭代器"}


def test_negation_carries_over_a_coordination(glossary: Glossary) -> None:
    """"不会太大或者太小" denies both sides, so it agrees with "梯度不会太大也不会太小"."""
    p = pol("不会太大或者太小", glossary)
    assert {"大", "太小"} <= p.negated
    assert flips(pol("不会太大也不会太小", glossary), p, glossary) % 2 == 0


def test_negation_of_a_verb_ends_with_it(glossary: Glossary) -> None:
    """"不需要任何额外操作" and "不用做任何操作" say the same: neither turns the other around."""
    assert flips(pol("测试时不需要任何额外操作", glossary), pol("测试阶段不用做任何操作", glossary), glossary) % 2 == 0


def test_a_negation_reads_past_need_and_light_verbs(glossary: Glossary) -> None:
    """"不需要额外操作" denies the extra work and "不做增广" the augmentation: the negation of 需要/做
    carries on to the word after it, as "不用额外处理" does; "没必要" negates too."""
    point = pol("测试时不需要任何额外操作", glossary)
    assert "额外" in point.negated
    assert flips(point, pol("测试时就不用额外处理了", glossary), glossary) == 0
    assert flips(point, pol("测试时还需要额外缩放", glossary), glossary) % 2 == 1
    augment = glossary.canonical("增广")
    assert pol("多样性足够大就可以不做增广", glossary).negated == {augment}
    assert pol("样本够多就没必要做增广", glossary).negated == {augment}
    assert flips(pol("用了Adam就不需要调学习率", glossary), pol("用Adam也需要调学习率", glossary), glossary) % 2 == 1


def test_a_negation_reads_past_again_and_causatives(glossary: Glossary) -> None:
    """"没必要再缩放了" denies the scaling; "并不相同" is 不相同; past a causative, "不会让输出变成one-hot"
    denies what comes last, one-hot, and says the output neither way."""
    assert pol("没必要再缩放了", glossary).negated == {"缩放"}
    caused = pol("softmax输入大一点不会让输出变成one-hot", glossary)
    assert caused.negated == {"独热编码"} and "输出" in caused.mixed
    assert flips(pol("输出会变成one-hot", glossary), caused, glossary) % 2 == 1
    assert pol("全零初始化时输出并不相同", glossary).negated == {"相同"}


@pytest.mark.parametrize("text", ["不同在于Xavier只是初始化", "不一样的是归一化的维度", "两者的不同之处在于初始化", "不同点是BN一直起作用"])
def test_the_difference_named_denies_no_sameness(glossary: Glossary, text: str) -> None:
    """"不同在于……" ("the difference is ...") names the difference, as "区别在于" does; "思想不同" says
    they differ."""
    said = pol(text, glossary)
    assert said.negated == frozenset() and "区别" in said.words
    assert pol("两者思想不同", glossary).negated == {"相同"}


def test_a_negation_on_the_verb_denies_its_object_as_one_on_the_object(glossary: Glossary) -> None:
    """"BN改的是输出的分布而不是权重本身" and "BN归一化输出不怎么影响权重" both deny the weights: one
    negation each, on a word the other does not have. A negation of a word both say still flips."""
    alias = pol("BN改的是输出的分布而不是权重本身", glossary)
    assert flips(alias, pol("BN归一化输出不怎么影响权重", glossary), glossary) == 0
    assert flips(alias, pol("BN改的是权重", glossary), glossary) == 1
    assert flips(pol("BN不是对batch归一化", glossary), pol("BN是对batch归一化，不是对特征", glossary), glossary) == 1
    assert flips(pol("元组不可以修改", glossary), pol("元组可以修改", glossary), glossary) == 1


def test_a_negation_glued_to_its_verb_and_a_degree_glued_to_its_side(glossary: Glossary) -> None:
    """The segmenter cuts "训不出来" as 训不|出来 and keeps "很多" whole: "实际训不出来" denies as
    "实际训练不出来" does, and "超参数也少" is the other side of "超参数很多"."""
    assert pol("但实际训不出来", glossary).negated == {"出来"}
    assert flips(pol("但实际训练不出来", glossary), pol("但实际训不出来", glossary), glossary) == 0
    assert pol("要不就用Adam", glossary).negated == frozenset()
    assert flips(pol("SVM能调的超参数很多", glossary), pol("能调的超参数也少", glossary), glossary) == 1
    assert flips(pol("SVM能调的超参数很多", glossary), pol("SVM的超参数很多", glossary), glossary) == 0


def test_no_matter_without_a_with_says_it_is_fine(glossary: Glossary) -> None:
    """"batch小一点没关系" (a small batch is fine) agrees with "batch小一点效果并不差"; "Adam跟动量没关系"
    still denies a relation, every word of it."""
    fine = pol("batch小一点没关系", glossary)
    assert fine.negated == {"问题"} and flips(fine, pol("一般batch小一点效果并不差", glossary), glossary) == 0
    assert pol("Adam跟动量没关系", glossary).negated == {"adam", "动量"}


def test_the_other_side_negated_is_the_same_side(glossary: Glossary) -> None:
    """"loss会震荡甚至不收敛" says what "loss来回震荡甚至发散" says; "loss收敛了" does not."""
    diverges = pol("loss来回震荡甚至发散", glossary)
    assert flips(diverges, pol("学习率太大loss会震荡甚至不收敛", glossary), glossary) % 2 == 0
    assert flips(diverges, pol("loss震荡一阵之后收敛", glossary), glossary) % 2 == 1


def test_a_size_before_when_is_no_hour(glossary: Glossary) -> None:
    """The segmenter cuts "过小时" 过|小时 (an hour) and keeps "过大时" whole: both are a size, then 时."""
    assert "过小" in pol("学习率过小时收敛非常慢", glossary).words
    assert "过大" in pol("学习率过大时每步更新幅度太大", glossary).words
    assert "小时" in pol("训练了两个小时", glossary).words


def test_what_is_usually_done_does_not_deny_what_can_be(glossary: Glossary) -> None:
    """"用了BN的网络基本就不加dropout了" (a habit) against "用了BN的网络仍可以使用dropout" (a
    possibility): no contradiction; "用了BN就不能用dropout" is one."""
    can = pol("用了BN的网络仍可以使用dropout", glossary)
    assert flips(can, pol("用了BN的网络基本就不加dropout了", glossary), glossary) == 0
    assert flips(can, pol("一般卷积网络用了BN就不再加dropout了", glossary), glossary) == 0
    assert flips(can, pol("用了BN就不能用dropout", glossary), glossary) % 2 == 1


def test_a_negated_complement_denies_the_verb(glossary: Glossary) -> None:
    """The segmenter keeps "得不到", "记不住" whole: they deny getting and remembering, so that
    "小卷积核堆叠来获得大的感受野" does not agree with "……也得不到大的感受野"."""
    assert pol("小卷积核堆叠起来也得不到大的感受野", glossary).negated == {"得到"}
    assert "记住" in pol("RNN本来就记不住很长的序列", glossary).negated
    assert pol("对不起", glossary).negated == frozenset()


def test_a_case_granted_for_argument_is_no_claim() -> None:
    """"就算……" (even if) grants a case, as "如果……" supposes one, also after 而且; what follows is a claim."""
    assert is_hypothetical("而且就算在attention score上把要预测的位置挡住")
    assert is_hypothetical("即使加了BN")
    assert not is_hypothetical("这个位置自己的输入还是会通过残差连接传到输出")


@pytest.mark.parametrize(
    ("clause", "mentioned"),
    [
        ('另外"能算一阶就能算二阶"只是原理上成立', True),
        ("「dropout测试时也要丢弃」是错的", True),
        ("“能算一阶导，二阶导也差不多”并不对", True),
        ('dropout是"随机"丢弃神经元', False),  # a word set off, dismissed by nothing
        ("“与其每层很宽，不如多加几层”", False),
    ],
)
def test_a_claim_quoted_and_dismissed_is_mentioned_not_made(clause: str, mentioned: bool) -> None:
    assert is_hypothetical(clause) is mentioned


@pytest.mark.parametrize(
    ("clause", "mentioned"),
    [
        ("很多人以为测试时也要随机丢弃", True),
        ("但不少人误以为BN可以完全替代dropout", True),
        ("一个常见误区是输入层也算一层", True),
        ("常见误解是除以根号d_k为了防止梯度爆炸", True),
        ("It's a common mistake to think the input layer counts as a layer.", True),
        ("A common misconception is that BN replaces dropout", True),
        ("People often say the output layer does not count", True),
        ("我以为是学习率的问题", False),  # the candidate's own view
        ("The mistake is in the loss", False),
    ],
)
def test_a_belief_ascribed_to_others_as_a_mistake_is_mentioned_not_made(clause: str, mentioned: bool) -> None:
    assert is_hypothetical(clause) is mentioned


def test_a_comma_inside_quotes_cuts_no_clause() -> None:
    assert reply_clauses("存不下。“能算一阶导，二阶导也差不多”并不对，代价大得多") == ["存不下。", "“能算一阶导，二阶导也差不多”并不对，", "代价大得多"]


def test_saving_a_cost_says_there_is_none(glossary: Glossary) -> None:
    """"推理时省掉了额外计算" says what "测试时不需要额外计算" says, as "防止过拟合" is read both ways."""
    assert flips(pol("测试时不需要额外计算", glossary), pol("推理时省掉了额外计算", glossary), glossary) == 0


def test_hard_to_before_a_verb_denies_the_verb(glossary: Glossary) -> None:
    """"学习率不好调" (hard to tune) denies the tuning, as "做不好" after its verb denies the doing; "很|难|确定",
    as the segmenter may cut it, is 很难确定."""
    assert pol("问题在于学习率不好调", glossary).negated == {"调"}
    assert flips(pol("问题在于学习率不好调", glossary), pol("问题是不好调", glossary), glossary) == 0
    assert pol("每层怎么设很难确定", glossary).negated == {"确定"}
    assert pol("效果不好", glossary).negated == {"效果"}


def test_a_claim_relating_both_sides_is_not_swapped_by_one_of_them(glossary: Glossary) -> None:
    """"batch越小梯度噪音越大" says both sides of 大/小: "batch太大噪声太小" says it from the other end
    and "batch太小梯度会有噪声" one end of it; a claim with one side is still swapped."""
    related = pol("batch越小梯度噪音越大", glossary)
    assert flips(related, pol("batch太大噪声太小", glossary), glossary) == 0
    assert flips(related, pol("batch太小梯度会有噪声", glossary), glossary) == 0
    assert flips(related, pol("小batch的梯度估计噪声确实更大", glossary), glossary) == 0
    assert flips(related, pol("小batch的梯度噪声小", glossary), glossary) == 1
    assert flips(pol("batch越大梯度噪声越小", glossary), pol("batch越小梯度噪声越小", glossary), glossary) % 2 == 0  # unchanged
    assert flips(pol("训练时随机丢弃神经元", glossary), pol("测试时随机丢弃神经元", glossary), glossary) == 1
    assert flips(pol("学习率要调大", glossary), pol("学习率要调小", glossary), glossary) == 1


@pytest.mark.parametrize("said", ["限制权重的取值范围不要太大", "权重的取值范围不会太大", "使权重的取值范围不会太大"])
def test_not_letting_something_be_too_large_is_keeping_it_small(glossary: Glossary, said: str) -> None:
    """"不让权重的取值范围太大" denies 太大, as "取值范围不要太大" does, not the weights (55 for a complete
    answer to 「BN是不是和权重衰退的作用类似」, its point 说反了, before)."""
    point = pol("不让权重的取值范围太大", glossary)
    assert point.negated == {"大"}
    assert flips(point, pol(said, glossary), glossary) == 0
    assert flips(point, pol("要让权重的取值范围大一些", glossary), glossary) % 2 == 1


def test_a_negation_glued_to_a_degree_word_still_negates(glossary: Glossary) -> None:
    """jieba keeps "不太", "不太会", "不怎么" whole, or splits "不" | "太行": "不太适用" denies 适用 as
    "不适用" does."""
    assert pol("Xavier对ReLU网络不太适用", glossary).negated == {"适用"}
    assert pol("BN不太会影响前一层的权重", glossary).negated == {"影响"}
    assert pol("效果不怎么好", glossary).negated == {"好"}
    point = pol("Xavier初始化对ReLU网络不适用", glossary)
    assert flips(point, pol("Xavier对ReLU网络不太适用", glossary), glossary) == 0
    assert flips(point, pol("Xavier对ReLU网络很适用", glossary), glossary) % 2 == 1
    # jieba splits "不太行" as 不 | 太行 (the mountains): still a no
    assert pol("BN在MLP里不太行", glossary).negated == pol("BN在MLP里不行", glossary).negated == {MODAL}


def test_a_degree_word_between_a_negation_and_its_verb_is_read_past(glossary: Glossary) -> None:
    """「并不会太多地影响前一层的权重」 denies 影响, as 「基本不影响」 does; a degree word at the end is
    what is denied."""
    said = pol("BN基本不影响前一层的权重", glossary)
    assert pol("BN并不会太多地影响前一层的权重", glossary).negated == said.negated == {"影响"}
    assert flips(pol("BN是对层的输出做归一化，并不会太多地影响前一层的权重", glossary), said, glossary) == 0
    assert pol("参数不会太多", glossary).negated == {"多"}


def test_an_effect_said_to_be_small_is_denied(glossary: Glossary) -> None:
    """「影响不大」 is 「不太影响」, 「效果本来就有限」 is 「没什么效果」; a quantity said to be small is not
    denied itself (「学习率不大」)."""
    assert pol("对前一层的权重其实影响不大", glossary).negated == pol("不太影响前一层的权重", glossary).negated == {"影响"}
    assert pol("它的正则效果本来就有限", glossary).negated == {"效果"}
    assert pol("网络不深时BN作用不大", glossary).negated >= {"作用"}
    assert pol("跟学习率关系不大", glossary).negated == pol("跟学习率没什么关系", glossary).negated == {"关系", "学习率"}
    assert pol("学习率的影响很小", glossary).negated == {"影响"} and not pol("学习率很小", glossary).negated
    assert "学习率" not in pol("学习率不大", glossary).negated


def test_a_lessened_quality_is_denied(glossary: Glossary) -> None:
    """「降低卷积对位置的敏感性」 says 「对位置没那么敏感」 and turns 「对位置更敏感」 around; a lessened
    quantity keeps its own word (「减少计算量」 against 「增加计算量」 is an antonym swap)."""
    softly = pol("池化可以让卷积对位置没那么敏感", glossary)
    for text in ("池化能降低卷积对位置的敏感性", "max pooling还能缓解卷积对位置的敏感", "减轻了对位置的敏感度"):
        lessened = pol(text, glossary)
        assert lessened.negated == softly.negated == {"敏感"}, text
        assert flips(softly, lessened, glossary) == 0 and flips(pol("池化会让卷积对位置更敏感", glossary), lessened, glossary) == 1
    assert pol("BN降低了对初始化的依赖", glossary).negated == pol("BN不依赖初始化", glossary).negated == {"依赖"}
    assert "依赖" in pol("LN在单个样本内归一化，减少了对batch里其他句子的依赖", glossary).negated
    # 降低 governs 鲁棒性 here; 更敏感 is a predicate of its own
    assert not pol("平方损失会放大误差降低鲁棒性对异常值更敏感", glossary).negated
    assert flips(pol("池化能减少计算量", glossary), pol("池化会增加计算量", glossary), glossary) == 1


def test_what_is_no_longer_used_is_denied(glossary: Glossary) -> None:
    """「不再用X」, 「不使用X」 and 「放弃了X」 deny X, as 「不用X」 does, not the using."""
    plain = pol("测试时不用batch的统计量", glossary)
    assert plain.negated == {"批次"}
    for text in ("测试时不再用batch的统计量", "测试时不使用batch的统计量", "测试时不会用batch的统计量"):
        assert pol(text, glossary).negated == plain.negated, text
    assert pol("所以Python早就放弃了引用计数", glossary).negated == {"引用计数"}
    assert not pol("以1-p的概率被舍弃", glossary).negated  # dropping a neuron, not giving it up
    # the passive, and 已经/早就 read past to what was given up
    for text in ("引用计数早就被放弃了", "引用计数已经被放弃了", "引用计数被弃用了"):
        assert pol(text, glossary).negated == {"引用计数"}, text
    assert flips(pol("Python用引用计数管理对象", glossary), pol("Python放弃了引用计数", glossary), glossary) == 1


@pytest.mark.parametrize(
    ("written", "spelt"),
    [
        ("It isn't differentiable", "it is not differentiable"),
        ("lists can’t", "lists cannot"),  # a typographic apostrophe
        ("it won't work", "it will not work"),
        ("BN doesnt need it", "bn does not need it"),  # typed without the apostrophe
        ("we dont drop", "we do not drop"),
        ("Cantonese", "cantonese"),
    ],
)
def test_normalize_spells_out_english_negations(written: str, spelt: str) -> None:
    assert normalize(written) == spelt


def test_an_english_negation_written_short_negates(glossary: Glossary) -> None:
    """Cut at the apostrophe, "isn't" was "isn" + "t" and denied nothing."""
    assert pol("the absolute loss isn't differentiable at zero", glossary).negated == pol(
        "the absolute loss is not differentiable at zero", glossary
    ).negated == {"differenti"}
    assert MODAL in pol("and lists can't", glossary).negated
    assert "return" in pol("constructors don't have a return type", glossary).negated  # as 没有 denies
    right = pol("a list can be used as a dictionary key", glossary)
    assert flips(right, pol("a list can't be used as a dictionary key", glossary), glossary) % 2 == 1


def test_all_is_a_word_of_a_claim_and_high_is_the_other_side_of_low(glossary: Glossary) -> None:
    """"acts on all input channels" turns on "all" as "作用在所有输入通道上" on 所有; "a low
    temperature" is the other side of "a higher temperature"."""
    assert "all" in pol("each kernel acts on all input channels", glossary).words
    higher = pol("the higher the softmax temperature", glossary)
    assert flips(higher, pol("softmax with a low temperature", glossary), glossary) == 1


def test_a_negation_covers_the_word_after_a_determiner(glossary: Glossary) -> None:
    """"不用当前batch的统计量" denies the current batch; "不用这个batch的" the batch."""
    batch = glossary.canonical("batch")
    assert pol("测试时不用当前batch的统计量", glossary).negated == {"当前", batch}
    assert pol("测试时不用这个batch的统计量", glossary).negated == {batch}
    assert flips(pol("测试时不用当前batch的统计量", glossary), pol("测试时不用batch的统计量", glossary), glossary) == 0


def test_what_after_a_negation_covers_the_phrase_after_it(glossary: Glossary) -> None:
    """"没有什么共性" (and "没啥共性") denies the common ground as "没有共性" does; "不需要做什么额外操作"
    the extra work."""
    assert pol("同一位置的词没有什么共性", glossary).negated == {"共性"}
    assert pol("同一位置的词没啥共性", glossary).negated == {"共性"}
    assert pol("对结果没啥影响", glossary).negated == {"影响"}
    assert "额外" in pol("测试时不需要做什么额外操作", glossary).negated


def test_any_is_a_word_of_its_own_outside_a_negation(glossary: Glossary) -> None:
    """"任何MLP加上BN都会变好" claims something of every MLP: 任何 is what makes it wrong."""
    assert "任何" in pol("任何MLP加上BN效果都会明显变好", glossary).words
    assert "任何" not in pol("测试时不需要任何额外操作", glossary).words


def test_a_must_is_a_claim_of_its_own(glossary: Glossary) -> None:
    """"必须用双线性插值初始化" is not "可以用……": 必须/一定要 are recorded as MUST, which "不一定要"
    negates and "不能不" asserts; "一定会" (surely) is no must."""
    must = pol("转置卷积必须用双线性插值初始化", glossary)
    assert MUST in must.words and MUST not in must.negated
    assert MUST in pol("转置卷积一定要用双线性插值初始化", glossary).words
    assert flips(must, pol("转置卷积不一定要用双线性插值初始化", glossary), glossary) % 2 == 1
    assert MUST not in pol("转置卷积可以用双线性插值初始化", glossary).words
    assert MUST in pol("不能不做增广", glossary).words - pol("不能不做增广", glossary).negated
    assert MUST not in pol("学习率太大一定会震荡", glossary).words


def test_a_must_is_read_when_the_segmenter_glues_its_verb(glossary: Glossary) -> None:
    """jieba keeps "要接"/"要加" whole; "一定要接池化层" is a must all the same, and "不一定要接" denies it."""
    must = pol("卷积后面一定要接池化层", glossary)
    assert MUST in must.words and MUST not in must.negated and "池化层" in must.words
    assert MUST in pol("卷积后面不一定要接池化层", glossary).negated


def test_a_negated_number_is_not_a_flip(glossary: Glossary) -> None:
    """"不是以0为中心" denies the centre, not the number: "输出在0到1" does not turn it around."""
    assert flips(pol("sigmoid的输出不是以0为中心", glossary), pol("sigmoid输出在0到1之间", glossary), glossary) == 0


def test_zhe_lei_is_not_a_class(glossary: Glossary) -> None:
    """"list这类对象" is "objects such as list": its 类 is not the class of the 类/函数 pair."""
    assert "类" not in pol("可以用iter()把list这类可迭代对象转成迭代器", glossary).words


def test_antonym_swap_train_for_test_is_an_odd_flip(glossary: Glossary) -> None:
    assert flips(pol("训练时丢弃神经元", glossary), pol("测试时丢弃神经元", glossary), glossary) % 2 == 1


def test_swap_and_negation_cancel_out(glossary: Glossary) -> None:
    clause = split_clauses("训练时丢弃，测试时不丢弃", fine=True)[1]
    assert clause == "测试时不丢弃"
    count = flips(pol("训练时丢弃", glossary), pol(clause, glossary), glossary)
    assert count > 0 and count % 2 == 0


def test_same_statement_does_not_flip(glossary: Glossary) -> None:
    assert flips(pol("训练时丢弃神经元", glossary), pol("训练的时候丢弃神经元", glossary), glossary) == 0


@pytest.mark.parametrize("text", ["bn不如ln稳定", "无论batch大小都能用ln"])
def test_buru_and_wulun_do_not_negate(glossary: Glossary, text: str) -> None:
    p = pol(text, glossary)
    assert p.words  # the clause has content words ...
    assert not p.negated  # ... none of them negated


def test_wulun_clause_does_not_contradict_the_plain_statement(glossary: Glossary) -> None:
    assert flips(pol("batch大小都能用ln", glossary), pol("无论batch大小都能用ln", glossary), glossary) == 0


def test_tokens_are_the_same_from_many_threads_at_once() -> None:
    import concurrent.futures

    from grading import text as text_module

    words = [f"{stem}{ending}" for stem in ("normaliz", "regulariz", "generaliz", "optimiz", "initializ", "activat")
             for ending in ("ation", "ational", "ization", "iveness", "fulness", "ousness", "ing", "ed")]
    expected = [text_module.tokens(word) for word in words]
    for _ in range(3):
        text_module._stem.cache_clear()  # noqa: SLF001 - every call stems again
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            results = list(pool.map(text_module.tokens, words * 50))
        assert results == expected * 50


# ---------------------------------------------------------------- the field's vocabulary


@pytest.mark.parametrize(
    ("words", "known"),
    [
        pytest.param(["pointer"], True, id="as-it-is"),
        pytest.param(["paremet"], True, id="misspelt"),  # "paremeters" ~ "parameters"
        pytest.param(["logn"], True, id="glued-after-a-word"),
        pytest.param(["banana"], False, id="foreign"),  # "nan" inside it does not count
        pytest.param(["poin"], False, id="short-words-are-not-fuzzed"),
        pytest.param(["指针"], True, id="chinese-as-it-is"),
        pytest.param(["指标"], False, id="chinese-not-fuzzed"),
    ],
)
def test_knows_any_accepts_a_field_word_as_it_is_misspelt_or_glued(words: list[str], known: bool) -> None:
    vocabulary = frozenset({"pointer", "paramet", "log", "nan", "指针", "tree"})
    assert knows_any(words, vocabulary) is known


@pytest.mark.parametrize(
    ("clause", "items"),
    [
        ("大核计算量太大、参数多容易过拟合、还会丢掉局部细节", ["大核计算量太大", "参数多容易过拟合", "还会丢掉局部细节"]),
        ("是因为底层C实现、内存连续、能向量化。", ["是因为底层C实现", "内存连续", "能向量化"]),
        # one term alone is no claim; words or numbers under three characters are a list of names
        ("局部连接、权值共享、能保留空间结构", ["权值共享", "能保留空间结构"]),
        ("输入层、隐藏层、输出层", []),
        ("用L1、L2正则", []),
        ("学习率、batch、动量、权重衰减、dropout、层数、宽度都要调", []),
    ],
)
def test_a_list_of_claims_joined_by_the_enumeration_comma_is_read_item_by_item(glossary: Glossary, clause: str, items: list[str]) -> None:
    reply = analyse_reply(clause, glossary, max_chars=2000)
    assert list(reply.units[1 : 1 + len(items)]) == items
    assert not set(reply.units) & {"输入层", "隐藏层", "输出层", "局部连接"}


@pytest.mark.parametrize(
    ("clause", "listed"),
    [
        ("而那时候MLP难训、数据和算力都不够", True),  # MLP is not what is 不够: the items are the claims
        ("交集框的左上角取两个框x1、y1的较小值", False),  # a list of symbols inside one claim
        ("输入层、隐藏层、输出层都要算", False),  # a list of names: the clause is the claim
    ],
)
def test_a_clause_of_claims_joined_by_the_enumeration_comma_states_nothing_as_a_whole(glossary: Glossary, clause: str, listed: bool) -> None:
    reply = analyse_reply(clause, glossary, max_chars=2000)
    assert (0 in reply.listed) is listed
    assert "而那时候MLP难训不够" not in reply.units  # 「A、B都……」 shares a predicate only between two things


@pytest.mark.parametrize(
    ("clause", "negated"),
    [
        # a negation before "随着X而Y" denies Y, not the relation (jieba glues 而 to the word before it)
        ("一个batch里样本的多样性不会随着batch翻倍而继续明显增加", {"明显增加"}),
        ("样本的多样性不会随着batch变大而继续明显增加", {"明显增加"}),
        ("多样性不会继续明显增加", {"明显增加"}),
        # ... and before "因为X就Y": the reason is not what it denies
        ("梯度的数值不会因为样本多就变得很大", {"变得"}),  # as "不会变得很大" reads
        ("梯度不会由于batch变大而明显增加", {"明显增加"}),
    ],
)
def test_a_negation_before_with_x_then_y_denies_y(glossary: Glossary, clause: str, negated: set[str]) -> None:
    assert pol(clause, glossary).negated == negated


def test_the_words_before_a_denied_then_y_are_neither_said_nor_denied(glossary: Glossary) -> None:
    """「梯度不会因为batch size变大而变得很大」 denies that the gradient grows with the batch size:
    it says the batch size grows no more than 「梯度大小与批量大小无关」 denies it does."""
    said = pol("梯度不会因为batch size变大而变得很大", glossary)
    assert {"梯度", "批大小", "变大"} <= said.mixed and said.negated == {"变得"}
    assert flips(pol("梯度大小与批量大小无关", glossary), said, glossary) == 0
    assert flips(pol("梯度会因为batch size变大而变大", glossary), pol("梯度大小与批量大小无关", glossary), glossary) % 2 == 1


@pytest.mark.parametrize("said", ["梯度的量级和batch size解耦", "梯度不受批量大小影响"])
def test_decoupled_and_not_affected_by_dismiss(glossary: Glossary, said: str) -> None:
    """「和X解耦」 (jieba cuts 解|耦) and 「不受X影响」 say what 「与X无关」 says; 「受X影响」 turns it around."""
    point = pol("梯度大小与批量大小无关", glossary)
    assert pol(said, glossary).negated == pol(said, glossary).words
    assert flips(point, pol(said, glossary), glossary) == 0
    assert flips(point, pol("梯度受批量大小影响", glossary), glossary) % 2 == 1


def test_a_denied_varies_with_is_still_a_dismissal(glossary: Glossary) -> None:
    said = pol("梯度量级不会随batch size变大变小", glossary)
    assert said.negated == said.words


def test_a_preposition_glued_to_fei_is_cut_off(glossary: Glossary) -> None:
    assert pol("对非连续张量调用会报RuntimeError", glossary).negated == {"连续"}  # jieba: 对非|连续
    assert pol("要分清是非", glossary).negated == frozenset()
