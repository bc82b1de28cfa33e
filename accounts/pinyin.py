"""Names as pinyin, for search and name order: pure functions, no database.

`name_pinyin("南京百川生物医药")` is "nanjingbaichuanshengwuyiyao" and `name_initials(...)`
"njbcswyy": lowercase, no tones, no spaces; Latin letters and digits are kept (lowercased, without
accents: "3M 中国" → "3mzhongguo" / "3mzg", a Latin word whole in the initials too), punctuation
and anything else dropped. Customer and Contact store both (`pinyin_columns`), derived from the
name on every write, so that "nanjing", "NanJing", "nj" and "njbc" find 南京百川生物医药有限公司 and
"名称 A–Z" sorts 阿… before 北… before 东… on any database (the columns hold only a–z and 0–9).

A company's legal form at the end of its name (有限公司, Co., Ltd.) is left out of what is stored:
it tells no company from another, and "youxiangongsi" in nearly every name would make a search
for "xian" (西安) find them all; without it, 上海华信 also sorts before 上海华信电子, as a phone book
ignores "Inc.".

pypinyin converts by phrase: it splits a run of characters into the words of its phrase
dictionary, so the polyphones of company names come out right (重庆 chongqing, 长沙 changsha,
厦门 xiamen, 银行 yinhang). Where its dictionary still reads a common name wrongly, the fixes
below are loaded into it when it is first used (pypinyin's dictionaries are process-wide): a 长 outside a known word reads cháng, as in almost every company and place name
(长宁, 长治, 长电); words such as 成长, 增长, 董事长 and 行长 are in the dictionary and keep zhǎng.
A person's name (a contact's) starts with the surname, which reads differently from the same
character in a word (曾 zeng, 单 shan, 解 xie): `person=True` reads the polyphonic surnames below.

Changing these rules changes stored values: refill the columns with a data migration (as
accounts/migrations/0006 does) so that search and order stay consistent.
"""

import functools
import re
import unicodedata
from collections.abc import Callable

# Read wrongly by pypinyin 0.55 (checked in tests/accounts/test_pinyin.py): 长 alone, and phrases.
SINGLE_FIXES = {ord("长"): "cháng,zhǎng"}
PHRASE_FIXES = {
    "朝阳": [["cháo"], ["yáng"]],  # the districts and city (北京朝阳, 辽宁朝阳), not zhāo "morning sun"
    "漯河": [["luò"], ["hé"]],
    "洪洞": [["hóng"], ["tóng"]],
    "浚县": [["xùn"], ["xiàn"]],
    "什邡": [["shí"], ["fāng"]],
    "曾都": [["zēng"], ["dū"]],
    # Kept zhǎng against the 长 rule: 长子县 and "eldest son"; titles in contacts' names (王区长).
    "长子": [["zhǎng"], ["zǐ"]],
    "区长": [["qū"], ["zhǎng"]],
    "理事长": [["lǐ"], ["shì"], ["zhǎng"]],
    "秘书长": [["mì"], ["shū"], ["zhǎng"]],
}

# Surnames read differently from the same character elsewhere; compound ones first.
SURNAMES = {
    "万俟": ("mo", "qi"),
    "尉迟": ("yu", "chi"),
    "长孙": ("zhang", "sun"),
    "曾": ("zeng",),
    "单": ("shan",),
    "解": ("xie",),
    "查": ("zha",),
    "仇": ("qiu",),
    "区": ("ou",),
    "朴": ("piao",),
    "盖": ("ge",),
    "覃": ("qin",),
    "翟": ("zhai",),
    "乐": ("yue",),
    "缪": ("miao",),
    "种": ("chong",),
    "秘": ("bi",),
    "繁": ("po",),
    "员": ("yun",),
    "召": ("shao",),
    "阚": ("kan",),
    "宓": ("fu",),
    "隗": ("wei",),
    "折": ("she",),
    "冼": ("xian",),
}

# A legal form ending a company's name; a Latin one as a word of its own (not the "inc" of "Zinc").
_LEGAL_FORM_END = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|股份公司|公司"
    r"|(?<![a-z0-9])(co\.?,?\s*ltd|company\s+limited|limited|ltd|inc|corp|corporation|llc|gmbh|plc)\.?)"
    r"[\s.,]*$",
    re.IGNORECASE,
)

# CJK ideographs (the unified block, extension A, compatibility ideographs, the supplementary
# planes) and 〇: what pypinyin reads. Anything else is Latin, digits or dropped.
_HAN_RUN = re.compile(r"([\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)")
_LATIN_WORD = re.compile(r"[a-z0-9]+")


def _latin_words(text: str) -> list[str]:
    """'Café 3M' → ['cafe', '3m']: accents dropped, anything but a–z and 0–9 a separator."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return _LATIN_WORD.findall(ascii_text)


@functools.cache
def _converter() -> Callable[[str], list[str]]:
    """pypinyin with the fixes above, loaded on first use: its dictionaries take about 55 MB and a
    second to load, which a process that never reads a name (a scoring worker) need not pay."""
    from pypinyin import Style, lazy_pinyin, load_phrases_dict, load_single_dict

    load_single_dict(SINGLE_FIXES)
    load_phrases_dict(PHRASE_FIXES)
    # errors="ignore": a character pypinyin cannot read is left out rather than kept as is.
    return functools.partial(lazy_pinyin, style=Style.NORMAL, errors="ignore")


def _han_syllables(run: str) -> list[str]:
    return [syllable for syllable in _converter()(run) if syllable]


def _tokens(name: str, *, person: bool) -> list[tuple[str, bool]]:
    """The name as (syllable or Latin word, is a syllable) pairs, in order."""
    # NFKC first: full-width "ＡＢＣ" and "１２" become ABC and 12, compatibility ideographs plain ones.
    text = unicodedata.normalize("NFKC", name or "").strip()
    tokens: list[tuple[str, bool]] = []
    if person:
        for surname, syllables in SURNAMES.items():
            if text.startswith(surname):
                tokens.extend((syllable, True) for syllable in syllables)
                text = text[len(surname) :]
                break
    for index, part in enumerate(_HAN_RUN.split(text)):
        if index % 2:  # re.split with a group: the runs of characters sit at the odd places
            tokens.extend((syllable, True) for syllable in _han_syllables(part))
        else:
            tokens.extend((word, False) for word in _latin_words(part))
    return tokens


def name_pinyin(name: str, *, person: bool = False) -> str:
    """'重庆长安汽车' → 'chongqingchanganqiche'; 'ABB (中国)' → 'abbzhongguo'."""
    return "".join(token for token, _syllable in _tokens(name, person=person))


def name_initials(name: str, *, person: bool = False) -> str:
    """'重庆长安汽车' → 'cqcaqc'; a Latin word or number stays whole: 'ABB (中国)' → 'abbzg'."""
    return "".join(token[0] if syllable else token for token, syllable in _tokens(name, person=person))


def without_legal_form(name: str) -> str:
    """'华为技术有限公司' → '华为技术'; 'Acme Co., Ltd.' → 'Acme'; '东风汽车集团' stays (a group is not a legal form)."""
    return _LEGAL_FORM_END.sub("", unicodedata.normalize("NFKC", name or "").strip()).rstrip()


def pinyin_columns(name: str, *, person: bool = False) -> tuple[str, str]:
    """What a customer (or, with `person`, a contact) stores for `name`: its pinyin and initials,
    a company's legal form at the end left out."""
    name = name if person else without_legal_form(name)
    return name_pinyin(name, person=person), name_initials(name, person=person)


def has_latin(text: str) -> bool:
    """Whether a search text holds a Latin letter, so that it may be pinyin ('nj', 'Nan Jing', '南京bc')."""
    return any(word.strip("0123456789") for word in _latin_words(unicodedata.normalize("NFKC", text or "")))
