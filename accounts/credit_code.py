"""The unified social credit code (统一社会信用代码, GB 32100-2015): its form and its check character.

18 characters from 0–9 and the capital letters but I, O, Z, S and V:

    position 1       registration authority (9 market regulation, 1 机构编制, 5 民政, Y other…)
    position 2       organisation type under that authority (91 enterprise, 92 个体工商户…)
    positions 3–8    region code of the registering office (GB/T 2260), digits
    positions 9–17   the organisation code (主体标识码, GB 11714)
    position 18      the check character: (31 − Σ value × weight mod 31) mod 31

The core (`normalise_credit_code`, `credit_code_problem`, `check_character`) is pure and
imports nothing from Django; `validate_credit_code` turns a problem into the field message.

The organisation code's own check character (GB 11714, position 17) is deliberately not
verified: the code's check character already catches a mistyped or swapped character, and
refusing a code printed on a real licence because an authority issued an irregular
organisation code would stop a rep from recording a real company.
"""

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

LENGTH = 18
# Each character's value is its index here (GB 32100-2015, table 2).
CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUES = {char: value for value, char in enumerate(CHARSET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3**i mod 31
FORBIDDEN_LETTERS = "IOZSV"  # left out because they read like 1, 0, 2, 5 and U

# Registration authority (position 1) → the organisation types it registers (position 2):
# GB 32100-2015 and the authority codes the standards body has assigned since.
ORGANISATION_TYPES = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 群众团体, 其他
    "2": "19",  # 外交: 外国常驻新闻机构, 其他
    "3": "123459",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化: 外国在华文化中心, 其他
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游: 外国及港澳台旅游部门常驻代表机构, 其他
    "7": "129",  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": "19",  # 工会: 基层工会, 其他
    "9": "123",  # 工商 / 市场监管: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": "1239",  # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他: not divided into types
}


class Problem(StrEnum):
    LENGTH = "length"
    FORBIDDEN_LETTER = "forbidden_letter"
    CHARACTER = "character"
    AUTHORITY = "authority"
    ORGANISATION_TYPE = "organisation_type"
    REGION = "region"
    CHECK_CHARACTER = "check_character"


@dataclass(frozen=True)
class CreditCodeProblem:
    """What is wrong with a code, with what a message needs to name it."""

    problem: Problem
    position: int = 0  # 1-based, as a person counts
    char: str = ""  # the offending character
    length: int = 0
    expected: str = ""  # the check character the code should end in


def normalise_credit_code(value: str | None) -> str:
    """As it is stored: full-width characters made ASCII (ＡＢ１２ → AB12), spaces dropped,
    letters upper-cased; "" for nothing."""
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(text.split()).upper()


def check_character(first_17: str) -> str:
    """The 18th character for 17 valid ones."""
    total = sum(VALUES[char] * weight for char, weight in zip(first_17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> CreditCodeProblem | None:
    """The first problem of a normalised code, or None when it is valid. The checks run from
    the coarsest to the finest, so the message names what a person should fix first."""
    if len(code) != LENGTH:
        return CreditCodeProblem(Problem.LENGTH, length=len(code))
    for position, char in enumerate(code, start=1):
        if char in FORBIDDEN_LETTERS:
            return CreditCodeProblem(Problem.FORBIDDEN_LETTER, position=position, char=char)
        if char not in VALUES:
            return CreditCodeProblem(Problem.CHARACTER, position=position, char=char)
    if code[0] not in ORGANISATION_TYPES:
        return CreditCodeProblem(Problem.AUTHORITY, position=1, char=code[0])
    if code[1] not in ORGANISATION_TYPES[code[0]]:
        return CreditCodeProblem(Problem.ORGANISATION_TYPE, position=2, char=code[1])
    for position in range(3, 9):
        if not code[position - 1].isdigit():
            return CreditCodeProblem(Problem.REGION, position=position, char=code[position - 1])
    expected = check_character(code[:17])
    if code[17] != expected:
        return CreditCodeProblem(Problem.CHECK_CHARACTER, position=18, char=code[17], expected=expected)
    return None


def is_valid_credit_code(code: str) -> bool:
    return credit_code_problem(normalise_credit_code(code)) is None


# --- The field message ---------------------------------------------------------------------

# What a person probably meant by a letter the codes never use.
_LOOKALIKE_DIGITS = {"I": "1", "O": "0", "Z": "2", "S": "5"}

MESSAGES = {
    Problem.LENGTH: _("A unified social credit code has 18 characters; this one has %(length)d."),
    Problem.FORBIDDEN_LETTER: _(
        "Character %(position)d is the letter %(char)s, which a unified social credit code never "
        "contains (I, O, Z, S and V are not used)."
    ),
    Problem.CHARACTER: _(
        "Character %(position)d, “%(char)s”, cannot be in a unified social credit code: only "
        "digits and capital letters."
    ),
    Problem.AUTHORITY: _(
        "The first character, %(char)s, is not a registration authority code "
        "(1–9, A, N or Y; 9 for a company)."
    ),
    Problem.ORGANISATION_TYPE: _(
        "The second character, %(char)s, is not an organisation type of registration authority "
        "%(authority)s (it can be %(allowed)s)."
    ),
    Problem.REGION: _(
        "Characters 3 to 8 are the region code and are all digits; character %(position)d is “%(char)s”."
    ),
    Problem.CHECK_CHARACTER: _(
        "The check character (the 18th) should be %(expected)s, not %(char)s: a character is "
        "probably mistyped."
    ),
}
LOOKALIKE_MESSAGE = _(
    "Character %(position)d is the letter %(char)s, which a unified social credit code never "
    "contains (I, O, Z, S and V are not used); did you mean the digit %(digit)s?"
)


def validate_credit_code(value: str) -> None:
    """A Django validator for a normalised code; "" (no code) is valid."""
    if not value:
        return
    found = credit_code_problem(value)
    if found is None:
        return
    params = {
        "position": found.position,
        "char": found.char,
        "length": found.length,
        "expected": found.expected,
    }
    message = MESSAGES[found.problem]
    if found.problem == Problem.FORBIDDEN_LETTER and found.char in _LOOKALIKE_DIGITS:
        message, params["digit"] = LOOKALIKE_MESSAGE, _LOOKALIKE_DIGITS[found.char]
    if found.problem == Problem.ORGANISATION_TYPE:
        params["authority"] = value[0]
        params["allowed"] = ", ".join(ORGANISATION_TYPES[value[0]])
    raise ValidationError(message, code=f"credit_code_{found.problem}", params=params)
