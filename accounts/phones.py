"""Phone numbers as a Chinese sales team writes them: what is accepted and how it is stored.

Accepted (the phonenumbers library decides what is a real number; full-width characters and
spaces, hyphens, dots or brackets between the digits are fine):

- a mainland mobile: 11 digits starting 13–19, also given as +86 / 0086 …;
- a mainland landline with its area code: 021-12345678, 0755 1234 5678, (010)62345678,
  +86 21 1234 5678, optionally with an extension (转 801, 分机 801, ext. 801, x801, #801,
  or 021-12345678-801);
- any other country's number in international form: +852 2123 4567, 00 44 20 7946 0958.

Refused: a landline without its area code, hotlines (400/800), short or made-up numbers, letters.

Stored, so the same number always reads the same (and `normalise_phone` of a stored value
gives it back unchanged):

- mobile: the 11 digits, `13812345678`;
- landline: area code (with its 0), a hyphen, the local number: `021-12345678`,
  `0755-12345678`, with an extension as `021-12345678转801`;
- international: phonenumbers' international format, `+852 2123 4567`, `+1 650-253-0000`
  (an extension as `…转801`).
"""

import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumbers import PhoneNumberFormat, PhoneNumberType

DEFAULT_REGION = "CN"
CHINA = 86
MOBILE = re.compile(r"1[3-9]\d{9}")

MESSAGE = _(
    "Enter a mobile number (11 digits, e.g. 13812345678), a landline with its area code "
    "(e.g. 021-12345678) or an international number starting with + (e.g. +852 2123 4567)."
)
MESSAGE_AREA_CODE = _("Add the area code to the landline number, e.g. 021-12345678.")

# What may stand between the digits of a number as people write it.
_NUMBER = re.compile(r"\+?[\d\s\-().]+")
# An extension at the end: 转 801, 分机801, ext. 801, x801, #801.
_EXTENSION = re.compile(r"\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
# Or, on a landline, a third hyphenated group: 021-12345678-801.
_HYPHEN_EXTENSION = re.compile(r"^(0\d{2,3}[\s\-]?\d{7,8})-(\d{1,6})$")


def _invalid(message=MESSAGE, code: str = "invalid_phone") -> ValidationError:
    return ValidationError(message, code=code)


def _split_extension(text: str) -> tuple[str, str]:
    match = _EXTENSION.search(text)
    if match:
        return text[: match.start()].strip(), match.group(1)
    match = _HYPHEN_EXTENSION.match(text)
    if match:
        return match.group(1), match.group(2)
    return text, ""


def normalise_phone(value: str) -> str:
    """The stored form of a phone number (see the module docstring); "" stays "".

    Raises ValidationError (code `invalid_phone`, or `phone_without_area_code` for a landline
    typed without its area code) for anything else.
    """
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return ""
    number_text, extension = _split_extension(text)
    if not _NUMBER.fullmatch(number_text) or not any(ch.isdigit() for ch in number_text):
        raise _invalid()
    digits = re.sub(r"\D", "", number_text)
    international = number_text.startswith("+") or digits.startswith("00")
    try:
        number = phonenumbers.parse(number_text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as error:
        raise _invalid() from error
    suffix = f"转{extension}" if extension else ""
    national = str(number.national_number)

    if number.country_code == CHINA:
        if MOBILE.fullmatch(national):
            if extension:
                raise _invalid()
            return national
        if not phonenumbers.is_valid_number(number):
            if not international and not digits.startswith("0") and len(digits) in (7, 8):
                raise _invalid(MESSAGE_AREA_CODE, "phone_without_area_code")
            raise _invalid()
        if phonenumbers.number_type(number) not in (
            PhoneNumberType.FIXED_LINE,
            PhoneNumberType.FIXED_LINE_OR_MOBILE,
        ):
            raise _invalid()  # hotlines (400, 800), VoIP, pagers…
        if not international and not digits.startswith("0"):
            # 2112345678 may be Shanghai without its 0, or a mistyped number: ask.
            raise _invalid(MESSAGE_AREA_CODE, "phone_without_area_code")
        area = phonenumbers.length_of_geographical_area_code(number)
        if not area:
            raise _invalid()
        return f"0{national[:area]}-{national[area:]}{suffix}"

    if not international or not phonenumbers.is_valid_number(number):
        raise _invalid()
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL) + suffix
