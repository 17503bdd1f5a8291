"""What words and marks say about a line: does it read as a question, is it a label, a Q:/A: prefix,
a placeholder for a missing answer, or the heading of a boilerplate section?"""

from __future__ import annotations

import re
import unicodedata

from .lines import strip_emphasis

__all__ = [
    "question_likeness",
    "clean_question",
    "strip_citations",
    "q_prefix",
    "split_inline_answer",
    "strip_answer_prefix",
    "has_answer_prefix",
    "link_only",
    "is_answer_label",
    "is_placeholder",
    "is_label",
    "boilerplate_section",
    "is_toc_entry",
    "metadata_hint",
]

STRONG, WEAK, NONE = 2, 1, 0

_QUESTION_MARK = re.compile(r"[?？][\s)）\]】*_]*$")
_ZH_CUES = (
    "什么", "为什么", "为何", "如何", "怎么", "怎样", "哪些", "哪个", "哪种", "哪里", "多少", "是否", "能否",
    "可否", "有没有", "是不是", "区别", "差别", "异同", "不同", "对比", "比较", "优缺点", "优势", "劣势",
    "作用", "原理", "介绍", "简述", "简介", "解释", "说说", "谈谈", "讲讲", "说一下", "描述", "阐述", "理解",
    "推导", "手写", "实现", "计算", "定义", "含义", "意义", "用途", "目的", "吗", "呢",
)  # fmt: skip
_EN_CUES = re.compile(
    r"^(what|why|how|when|where|which|who|is|are|does|do|can|could|should|would|explain|describe|compare|"
    r"define|list|name|give|discuss|derive|implement|write|tell|walk me)\b"
    r"|\b(difference|differences|vs\.?|versus|pros and cons|advantages?|trade-?offs?)\b",
    re.I,
)
_IMPERATIVE = re.compile(r"^(请|试|简述|简要|介绍|解释|说说|谈谈|讲讲|描述|阐述|比较|对比|推导|手写|列举|写出)")
_LABEL_END = re.compile(r"[:：]\s*$")
_SENTENCE_END = re.compile(r"[。；;！!]\s*$")
MAX_QUESTION_CHARS = 120  # a longer line is prose, even when it mentions 为什么

# "Q:", "Q1:", "Q1.2:", "Q3 ", "Question 3:", "问：", "问题1：", "【问】", "[Q]"
_Q_PREFIX = re.compile(
    r"^(?:(?:Q|Question)\s*\d+(?:\.\d+)*\s*[:：.、)]|Q\d+\s|(?:Q|Question)\s*[:：]|问题?\s*\d*\s*[:：]|【问】|\[Q\])\s*",
    re.I,
)
# The bold around the label closes before its colon or after it ("**Answer**:", "**Answer:**"), so a
# bold term that opens the answer keeps its "**" ("**A**: **Cross-validation** splits…").
_A_PREFIX = re.compile(
    r"^(?:[-*+]\s+)?(?P<bold>\*\*|__)?\s*(?:Answer|Ans|A\d{0,2}(?:\.\d+)*|参考答案|答案|回答|解答|答)\s*"
    r"(?:(?P=bold)\s*[:：]|[:：]\s*(?P=bold)|[:：])\s*"
    r"|^\s*(?:【答】|\[A\])\s*",
    re.I,
)
_ANSWER_LABEL = re.compile(r"^(?:#{1,6}\s*)?(?:\*\*|__)?\s*(?:答案|参考答案|解答|回答|答|Answer|A)\s*[:：]?\s*(?:\*\*|__)?\s*[:：]?$", re.I)
_INLINE_ANSWER = re.compile(r"(?:\s+|(?<=[？?。.!！*>]))(?:\*\*|__)?(?:Answer|A|答)\s*(?:\*\*|__)?\s*[:：]\s*")

_NUMBER = re.compile(r"^(?:(\d{1,3}(?:\.\d{1,3})*)(?:\s*[.．、:：)）]\s*|\s+)|[（(](\d{1,3})[)）]\s*|#(\d{1,3})\s+)(?=\S)")
_ANCHOR = re.compile(r"\s*(\{#[^}]*\}|<a\b[^>]*>\s*</a>)\s*")
_BACK_LINK = re.compile(r"\s*\[[^\]]*\]\(#[^)]*\)\s*$")  # "### 什么是BN？ [↑](#目录)"
_TRAILING_LINK = re.compile(r"^\[(?P<text>[^\]]+)\]\([^)]*\)$")
# Citations after a question: "[[src](url)]", "[[src]](url)", "[src](url)", "[1]", "[^2]".
_CITATION_TAIL = re.compile(
    r"(?<=\S)\s*(?:\[\[[^\]]*\]\([^)]*\)\]|\[\[[^\]]*\]\]\([^)]*\)|\[\^?\d{1,3}\]"
    r"|\[(?:src|source|link|ref|here|原文|来源|链接)\]\([^)]*\))\s*$",
    re.I,
)
_LINK_AFTER_QUESTION = re.compile(r"(?<=[?？])\s*\[[^\]]+\]\([^)]*\)\s*$")  # "What is X? [blog](url)"

_PLACEHOLDER = re.compile(
    r"^[\s_*()（）\[\]【】]*(?:to be filled|tbd|todo|待补充|待更新|待完善|待整理|暂无|略|未完待续|coming soon)[\s_*()（）\[\]【】.。…]*$",
    re.I,
)
_LABEL = re.compile(r"^(?:#\s*\d+|(?:Q|Question|问题|题目)\s*\d+|第\s*\d+\s*题|\d+)\s*[.:：]?$", re.I)

_BOILERPLATE_SECTIONS: dict[str, str] = {}
for _reason, _names in {
    "table of contents": ("目录", "目 录", "contents", "table of contents", "toc", "索引", "index", "导航", "大纲"),
    "references": (
        "参考资料", "参考", "参考文献", "参考链接", "相关链接", "相关资料", "相关阅读", "延伸阅读", "扩展阅读", "推荐阅读",
        "references", "reference", "further reading", "resources", "links", "see also", "资料来源", "引用",
    ),
    "introduction": ("前言", "引言", "简介", "说明", "写在前面", "序", "introduction", "intro", "preface", "about", "overview"),
    "closing remarks": ("总结", "小结", "结语", "后记", "写在最后", "最后", "conclusion", "summary"),
    "project boilerplate": (
        "致谢", "鸣谢", "acknowledgements", "acknowledgments", "license", "许可", "许可证", "版权声明", "contributing",
        "贡献", "如何贡献", "changelog", "更新日志", "更新记录", "star history", "联系方式", "联系我", "交流群",
        "公众号", "关于作者", "关于我", "author", "contact", "todo",
    ),
}.items():
    for _name in _names:
        _BOILERPLATE_SECTIONS[_name] = _reason

# A question's metadata line: "**3)** **Topic:** Optimization, **Level:** Medium", "难度：中等 | 考点：BN".
_META_NUMBER = re.compile(r"^(?:Q\s*)?[（(]?\d{1,3}[.)）、:：]?\s+", re.I)
_META_PAIR = re.compile(
    r"^(?P<key>topics?|category|categories|level|difficulty|tags?|compan(?:y|ies)|frequency|asked (?:at|in)|"
    r"难度|难易度|标签|考点|知识点|公司|频率|出现频率|主题|题型)\s*[:：]\s*(?P<value>[^:：]{1,40})$",
    re.I,
)
_META_SEPARATOR = re.compile(r"\s*[,，;；|·]\s*|\s{2,}")
_HINT_KEYS = ("topic", "topics", "category", "categories", "tag", "tags", "考点", "知识点", "标签", "主题")

_LOCAL_LINK = re.compile(r"^\[[^\]]+\]\((?:#[^)]*|[^)]*\.md(?:#[^)]*)?)\)\s*$")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def clean_question(text: str) -> tuple[str, int | None]:
    """Question text without emphasis, anchors, trailing citations, a Q: prefix or its own number;
    and that number."""
    text = _ANCHOR.sub(" ", text).strip()
    text = strip_emphasis(text)
    text = strip_citations(text)
    if not _TRAILING_LINK.match(text):
        text = _BACK_LINK.sub("", text)
    link = _TRAILING_LINK.match(text)
    if link:
        text = link.group("text").strip()
    number: int | None = None
    prefix = _Q_PREFIX.match(text)
    if prefix:
        digits = re.search(r"\d+(?:\.\d+)*", prefix.group())
        if digits and "." not in digits.group():
            number = int(digits.group())
        text = text[prefix.end() :]
    numbered = _NUMBER.match(text)
    if numbered and len(text) > numbered.end():
        value = numbered.group(1) or numbered.group(2) or numbered.group(3)
        if value and "." not in value:
            number = int(value)
        text = text[numbered.end() :]
    text = strip_emphasis(text).strip()
    return text.strip(" \t*_"), number


def strip_citations(text: str) -> str:
    """"What is X? [[src](url)]" -> "What is X?" (a citation or a link after the question mark)."""
    while True:
        stripped = _LINK_AFTER_QUESTION.sub("", _CITATION_TAIL.sub("", text)).rstrip()
        if stripped == text:
            return text
        text = stripped


def question_likeness(text: str) -> int:
    """2: reads as a question (a question mark, a Q: prefix); 1: has a question's words and is short
    enough to be one; 0: prose, a label or a heading."""
    raw = strip_emphasis(text).strip()
    if _Q_PREFIX.match(raw):
        return STRONG
    cleaned, _ = clean_question(raw)
    if not cleaned or len(cleaned) > MAX_QUESTION_CHARS:
        return NONE
    if _QUESTION_MARK.search(cleaned):
        return STRONG
    if _SENTENCE_END.search(cleaned) and _IMPERATIVE.match(cleaned) and len(cleaned) <= 60:
        return WEAK  # "简述 BN 的作用。" asks as much as a question mark does
    if _LABEL_END.search(cleaned) or _SENTENCE_END.search(cleaned):
        return NONE
    if any(cue in cleaned for cue in _ZH_CUES) or _EN_CUES.search(cleaned):
        return WEAK
    return NONE


def q_prefix(text: str) -> bool:
    return bool(_Q_PREFIX.match(strip_emphasis(text).strip()))


def split_inline_answer(text: str) -> tuple[str, str]:
    """"问：X？答：Y" -> ("问：X？", "Y"); the answer part is empty when the line has none."""
    raw = text.strip()
    prefix = _Q_PREFIX.match(strip_emphasis(raw))
    if not prefix:
        return raw, ""
    for match in _INLINE_ANSWER.finditer(raw):
        if match.start() >= prefix.end():
            return raw[: match.start()].rstrip(), raw[match.end() :].strip()
    return raw, ""


def strip_answer_prefix(text: str) -> str:
    """"**Answer:** text", "答：text", "A: text" -> "text" (a line without the prefix is unchanged)."""
    return _A_PREFIX.sub("", text, count=1)


def link_only(text: str) -> str | None:
    """The link of a question line that is nothing but one ("[BN为什么有效？](https://…)"): where it
    points is the only answer the notes give. A link into the page itself is not one."""
    cleaned = strip_emphasis(text.strip())
    numbered = _NUMBER.match(cleaned)
    if numbered:
        cleaned = cleaned[numbered.end() :]
    match = _TRAILING_LINK.match(cleaned)
    return match.group() if match and "](#" not in match.group() else None


def has_answer_prefix(text: str) -> bool:
    return bool(_A_PREFIX.match(text.strip()))


def is_answer_label(text: str) -> bool:
    """A line that only announces the answer: "### 答案", "**参考答案**", "Answer"."""
    return bool(_ANSWER_LABEL.match(text.strip()))


def is_placeholder(text: str) -> bool:
    """A stand-in for an answer not written yet: "_[To be filled]_", "待补充", "TODO"."""
    return bool(_PLACEHOLDER.match(strip_emphasis(text)))


def is_label(text: str) -> bool:
    """A heading that only numbers the question after it: "#12", "Question 3", "第3题"."""
    return bool(_LABEL.match(strip_emphasis(text).strip()))


def boilerplate_section(heading: str) -> str | None:
    """Why a section with this heading is not questions ("references", "table of contents"…), if so."""
    cleaned, _ = clean_question(heading)
    key = _fold(re.sub(r"^[\W_]+|[\W_]+$", "", cleaned))
    return _BOILERPLATE_SECTIONS.get(key)


def is_toc_entry(text: str) -> bool:
    """A list entry that only links to a place in this document or to another page of notes."""
    return bool(_LOCAL_LINK.match(strip_emphasis(text).strip()))


def metadata_hint(text: str) -> str | None:
    """For a line that only labels the question next to it ("**3)** **Topic:** Optimization,
    **Level:** Medium"): its topic hint, or "" when it names none; None for any other line."""
    cleaned = re.sub(r"(\*\*|__|\*|_)", "", text).strip()
    cleaned = _META_NUMBER.sub("", cleaned, count=1).strip()
    if not cleaned or _SENTENCE_END.search(cleaned):
        return None
    pairs: list[re.Match[str]] = []
    for part in (part.strip() for part in _META_SEPARATOR.split(cleaned) if part.strip()):
        match = _META_PAIR.match(part)
        if match:
            pairs.append(match)
        elif not pairs or len(part) > 20 or re.search(r"[:：]", part):
            return None  # a further tag ("Tags: cnn, vision") is all that may follow a pair
    if not pairs:
        return None
    hint = next((m.group("value").strip() for m in pairs if m and m.group("key").lower() in _HINT_KEYS), "")
    return hint
