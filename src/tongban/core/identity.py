"""Identity numbers: resident ID (GB 11643), unified social credit code (GB 32100), mainland mobile.

Each ``validate_*`` normalises the input (full-width characters, spaces,
dashes, lower-case ``x``) and either returns the clean value or raises
:class:`tongban.core.errors.ValidationError` whose ``code`` says exactly what
is wrong, with a Chinese and an English message a person can act on:

=============================  ===========================================
``identity.id_length``         not 18 characters (15-digit IDs are retired)
``identity.id_characters``     not 17 digits + a digit or X
``identity.id_region``         first two digits are no province code (or no county given)
``identity.id_birth_date``     digits 7–14 are no real past date
``identity.id_checksum``       the check digit (ISO 7064 MOD 11-2) is wrong
``identity.uscc_length``       not 18 characters
``identity.uscc_characters``   a letter outside the code's alphabet, etc.
``identity.uscc_checksum``     the check character (MOD 31) is wrong
``identity.mobile_length``     not 11 digits
``identity.mobile_characters`` something other than digits
``identity.mobile_prefix``     does not start with 13–19
=============================  ===========================================

Check digits come from python-stdnum (``stdnum.cn.ric``, ``stdnum.cn.uscc``).
Form and DRF fields wrapping these live in :mod:`tongban.core.fields`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

from tongban.core.crypto import mask_id_number
from tongban.core.errors import ValidationError

# GB/T 2260 province-level codes (+ 81 Hong Kong, 82 Macao, 83 Taiwan residence permits).
PROVINCES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
    "83": "台湾地区（居住证）",
}
EARLIEST_BIRTH = date(1890, 1, 1)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# GB 32100 登记管理部门码: 1–9, A (中央军委改革和编制办公室), N (农业), Y (其他).
_USCC_AUTHORITIES = "123456789ANY"
_SEPARATORS = re.compile(r"[\s\-‐–—()（）]")


def _normalise(value: object) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    return _SEPARATORS.sub("", text).upper()


def _fail(code: str, zh: str, en: str) -> ValidationError:
    return ValidationError(zh, en, code=f"identity.{code}")


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    sex: str  # "male" | "female" (17th digit odd = male)
    region_code: str

    @property
    def province(self) -> str:
        return PROVINCES[self.region_code[:2]]

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)

    def age_on(self, on: date) -> int:
        """Age in whole years on ``on`` (someone born on 29 Feb turns a year older on 1 Mar)."""
        years = on.year - self.birth_date.year
        if (on.month, on.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    def __str__(self) -> str:  # never the plaintext by accident (templates, f-strings, logs)
        return self.masked

    def __repr__(self) -> str:
        return f"ResidentId({self.masked!r}, sex={self.sex!r})"


def validate_resident_id(value: object, *, today: date | None = None) -> ResidentId:
    """Validate an 18-character resident ID number (居民身份证号码, GB 11643-1999)."""
    number = _normalise(value)
    if not number:
        raise _fail("id_empty", "请填写身份证号码", "Enter the resident ID number")
    if len(number) == 15 and number.isdigit():
        raise _fail(
            "id_length",
            "15位旧身份证号码已停用，请填写18位号码",
            "15-digit ID numbers are retired; enter the 18-character number",
        )
    if len(number) != 18:
        raise _fail(
            "id_length",
            f"身份证号码应为18位，您填写了{len(number)}位",
            f"A resident ID number has 18 characters; this one has {len(number)}",
        )
    if (
        not number[:17].isascii()
        or not number[:17].isdigit()
        or not (number[17].isdigit() or number[17] == "X")
    ):
        raise _fail(
            "id_characters",
            "身份证号码前17位应为数字，最后一位为数字或X",
            "The first 17 characters must be digits and the last a digit or X",
        )
    if number[:2] not in PROVINCES or number[2:6] == "0000":
        raise _fail(
            "id_region",
            f"身份证号码前两位“{number[:2]}”不是有效的省级行政区划代码",
            f"The first two digits '{number[:2]}' are not a valid province code",
        )
    try:
        birth = stdnum_ric.get_birth_date(number)
    except Exception:  # noqa: BLE001 - stdnum raises InvalidComponent (or ValueError) for a bad date
        birth = None
    today = today or timezone.localdate()
    if birth is None or not (EARLIEST_BIRTH <= birth <= today):
        raise _fail(
            "id_birth_date",
            f"身份证号码中的出生日期“{number[6:14]}”无效",
            f"The birth date '{number[6:14]}' in the ID number is not a valid date",
        )
    if stdnum_ric.calc_check_digit(number) != number[17]:
        raise _fail(
            "id_checksum",
            "身份证号码校验位不正确，请逐位核对",
            "The ID number's check digit is wrong; check each digit",
        )
    return ResidentId(
        number=number,
        birth_date=birth,
        sex="male" if int(number[16]) % 2 else "female",
        region_code=number[:6],
    )


def validate_credit_code(value: object) -> str:
    """Validate a unified social credit code (统一社会信用代码, GB 32100-2015); returns it normalised."""
    code = _normalise(value)
    if not code:
        raise _fail("uscc_empty", "请填写统一社会信用代码", "Enter the unified social credit code")
    if len(code) != 18:
        raise _fail(
            "uscc_length",
            f"统一社会信用代码应为18位，您填写了{len(code)}位",
            f"A unified social credit code has 18 characters; this one has {len(code)}",
        )
    bad = sorted({c for c in code if c not in _USCC_ALPHABET})
    if bad:
        shown = "、".join(bad)
        raise _fail(
            "uscc_characters",
            f"统一社会信用代码含有无效字符：{shown}（不使用I、O、S、V、Z）",
            f"Invalid characters in the credit code: {', '.join(bad)} (I, O, S, V, Z are never used)",
        )
    if code[0] not in _USCC_AUTHORITIES or not code[1].isdigit() or not code[2:8].isdigit():
        raise _fail(
            "uscc_characters",
            "统一社会信用代码前8位格式不正确（登记管理部门码、机构类别码、行政区划码）",
            "The first 8 characters (authority, entity type, region code) are malformed",
        )
    if stdnum_uscc.calc_check_digit(code) != code[17]:
        raise _fail(
            "uscc_checksum",
            "统一社会信用代码校验位不正确，请逐位核对",
            "The credit code's check character is wrong; check each character",
        )
    return code


def validate_mobile(value: object) -> str:
    """Validate a mainland China mobile number; returns the 11 digits (``+86``/``0086`` prefix dropped)."""
    phone = _normalise(value)
    for prefix in ("+86", "0086", "86"):
        if phone.startswith(prefix) and len(phone) == 11 + len(prefix):
            phone = phone[len(prefix) :]
            break
    if not phone:
        raise _fail("mobile_empty", "请填写手机号码", "Enter the mobile number")
    if not (phone.isascii() and phone.isdigit()):
        raise _fail("mobile_characters", "手机号码只能包含数字", "A mobile number contains digits only")
    if len(phone) != 11:
        raise _fail(
            "mobile_length",
            f"手机号码应为11位，您填写了{len(phone)}位",
            f"A mobile number has 11 digits; this one has {len(phone)}",
        )
    if phone[0] != "1" or phone[1] not in "3456789":
        raise _fail(
            "mobile_prefix",
            "手机号码应以13–19开头",
            "A mainland mobile number starts with 13-19",
        )
    return phone
