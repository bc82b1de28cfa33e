"""The unified social credit code (GB 32100-2015): normalising, the check character, every rule.

No database: `accounts.credit_code` is pure. Messages are read in English (the msgid), as the
Chinese catalogue is compiled separately.
"""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from accounts.credit_code import (
    CHARSET,
    ORGANISATION_TYPES,
    Problem,
    check_character,
    credit_code_problem,
    is_valid_credit_code,
    normalise_credit_code,
    validate_credit_code,
)

# Worked by hand: Σ value × weight over the first 17 characters, then (31 − Σ mod 31) mod 31.
#   91350100M000100Y4: 9·1 + 1·3 + 3·9 + 5·27 + 1·26 + M(21)·20 + 1·8 + Y(30)·30 + 4·28 = 1640;
#   1640 mod 31 = 28; 31 − 28 = 3 → "3".
#   91110000600037341: 9 + 3 + 9 + 27 + 6·20 + 3·8 + 7·24 + 3·10 + 4·30 + 1·28 = 538;
#   538 mod 31 = 11; 31 − 11 = 20 → CHARSET[20] = "L".
#   12100000400000624: 1 + 2·3 + 9 + 4·20 + 6·10 + 2·30 + 4·28 = 328; 328 mod 31 = 18; 31 − 18 = 13 → "D".
HAND_WORKED = ["91350100M000100Y43", "91110000600037341L", "12100000400000624D"]
# Printed on the business licences of well-known companies (public registers).
PUBLISHED = [
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91330100716105852F",  # 阿里巴巴（中国）有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
]
# Computed with check_character, one per kind of registrant.
COMPUTED = [
    "52110000500021676T",  # 民政, 民办非企业单位
    "31110000400834282L",  # 司法行政, 律师执业机构
    "93320583MA1N7Q8R6A",  # 工商, 农民专业合作社
    "Y1110000MA0012345N",  # 其他
    "N2330102MA2B3C4D53",  # 农业, 村级集体经济组织
    "A1100000MA00987659",  # 中央军委改革和编制办公室
]
VALID = HAND_WORKED + PUBLISHED + COMPUTED


def message(code: str) -> str:
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            validate_credit_code(normalise_credit_code(code))
        return refused.value.messages[0]  # lazy: read while English is active


# --- Valid codes ---------------------------------------------------------------------------


@pytest.mark.parametrize("code", HAND_WORKED)
def test_hand_worked_check_characters(code):
    assert check_character(code[:17]) == code[17]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_pass(code):
    assert credit_code_problem(code) is None
    validate_credit_code(code)  # no exception


def test_no_code_is_allowed():
    validate_credit_code("")
    assert normalise_credit_code(None) == ""


@pytest.mark.parametrize(
    "typed",
    [
        " 9135 0100 M000 100Y43 ",  # spaces as on a licence
        "91350100m000100y43",  # lower case
        "９１３５０１００Ｍ０００１００Ｙ４３",  # full-width, from a Chinese input method
        "9135\u30000100M000100Y43",  # an ideographic space
    ],
)
def test_codes_are_stored_compact_and_upper_case(typed):
    assert normalise_credit_code(typed) == "91350100M000100Y43"
    assert is_valid_credit_code(typed)


def test_the_weights_are_powers_of_three_mod_31():
    from accounts.credit_code import WEIGHTS

    assert WEIGHTS == tuple(3**i % 31 for i in range(17))
    assert len(CHARSET) == 31
    assert not set("IOZSV") & set(CHARSET)


def test_every_single_character_mistake_is_caught():
    code = "91350100M000100Y43"
    for position in range(18):
        for char in CHARSET:
            if char != code[position]:
                typo = code[:position] + char + code[position + 1 :]
                assert credit_code_problem(typo) is not None, typo


def test_every_swap_of_neighbouring_characters_is_caught():
    code = "91440300708461136T"
    for position in range(17):
        swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
        if swapped != code:
            assert credit_code_problem(swapped) is not None, swapped


# --- One rule at a time --------------------------------------------------------------------


@pytest.mark.parametrize(("code", "length"), [("91350100M000100Y4", 17), ("91350100M000100Y433", 19)])
def test_wrong_length_names_the_length(code, length):
    assert credit_code_problem(code).problem == Problem.LENGTH
    assert message(code) == (f"A unified social credit code has 18 characters; this one has {length}.")


@pytest.mark.parametrize(("letter", "position"), [("I", 10), ("O", 11), ("Z", 12), ("S", 13), ("V", 14)])
def test_each_forbidden_letter_is_named_with_its_position(letter, position):
    code = "91350100M" + "0" * (position - 10) + letter + "0" * (17 - position) + "3"
    assert len(code) == 18
    found = credit_code_problem(code)
    assert (found.problem, found.char, found.position) == (Problem.FORBIDDEN_LETTER, letter, position)
    text = message(code)
    assert f"Character {position} is the letter {letter}" in text
    assert "I, O, Z, S and V are not used" in text


def test_a_letter_o_is_probably_the_digit_0():
    assert message("91350100M0001OOY43").endswith("did you mean the digit 0?")
    assert "did you mean" not in message("91350100M000100V43")  # V looks like no digit


@pytest.mark.parametrize(
    ("code", "char", "position"), [("9135-0100M000100Y4", "-", 5), ("91350100M000100Y4中", "中", 18)]
)
def test_other_characters_are_named(code, char, position):
    found = credit_code_problem(code)
    assert (found.problem, found.char, found.position) == (Problem.CHARACTER, char, position)
    assert f"Character {position}, “{char}”" in message(code)


@pytest.mark.parametrize("authority", ["0", "B", "C", "X"])
def test_the_first_character_must_be_a_registration_authority(authority):
    code = authority + "1350100M000100Y43"
    assert credit_code_problem(code).problem == Problem.AUTHORITY
    assert message(code).startswith(f"The first character, {authority}, is not a registration authority")


@pytest.mark.parametrize(
    ("prefix", "allowed"), [("94", "1, 2, 3"), ("Y2", "1"), ("A3", "1, 9"), ("50", "1, 2, 3, 9")]
)
def test_the_second_character_must_be_a_type_of_that_authority(prefix, allowed):
    code = prefix + "350100M000100Y43"
    assert credit_code_problem(code).problem == Problem.ORGANISATION_TYPE
    assert message(code) == (
        f"The second character, {prefix[1]}, is not an organisation type of registration "
        f"authority {prefix[0]} (it can be {allowed})."
    )


def test_every_authority_has_types():
    assert set(ORGANISATION_TYPES) == set("123456789ANY")
    assert ORGANISATION_TYPES["9"] == "123"  # 企业, 个体工商户, 农民专业合作社


def test_the_region_code_is_digits():
    code = "9135A100M000100Y43"
    found = credit_code_problem(code)
    assert (found.problem, found.position, found.char) == (Problem.REGION, 5, "A")
    assert "character 5 is “A”" in message(code)


def test_a_wrong_check_character_names_the_expected_one():
    found = credit_code_problem("91350100M000100Y44")
    assert (found.problem, found.expected, found.char) == (Problem.CHECK_CHARACTER, "3", "4")
    assert message("91350100M000100Y44") == (
        "The check character (the 18th) should be 3, not 4: a character is probably mistyped."
    )


def test_the_validator_error_codes_say_which_rule():
    with pytest.raises(ValidationError) as refused:
        validate_credit_code("91350100M000100Y44")
    assert refused.value.code == "credit_code_check_character"
