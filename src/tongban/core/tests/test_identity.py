from datetime import date

import pytest
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import translation
from freezegun import freeze_time
from rest_framework import serializers

from tongban.core.errors import ValidationError
from tongban.core.fields import (
    CreditCodeField,
    CreditCodeFormField,
    MobileField,
    MobileFormField,
    ResidentIdField,
    ResidentIdFormField,
    credit_code_validator,
    mobile_validator,
    resident_id_validator,
)
from tongban.core.identity import ResidentId, validate_credit_code, validate_mobile, validate_resident_id

# GB 11643 sample (Beijing Chaoyang, 1949-12-31, female, check digit X) and a Yangpu resident.
SAMPLE_X = "11010519491231002X"
YANGPU = "310110195103070014"


def with_check_digit(body17: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights, strict=True)) % 11]


def test_valid_resident_id_parts():
    rid = validate_resident_id(YANGPU, today=date(2026, 11, 26))
    assert rid == ResidentId(number=YANGPU, birth_date=date(1951, 3, 7), sex="male", region_code="310110")
    assert rid.province == "上海市"
    assert rid.masked == "310110********0014"
    assert str(rid) == "310110********0014"
    assert YANGPU not in repr(rid)
    assert rid.age_on(date(2026, 3, 6)) == 74
    assert rid.age_on(date(2026, 3, 7)) == 75


def test_check_digit_x_and_female_and_normalisation():
    rid = validate_resident_id(" 110105 19491231 002x ")
    assert rid.number == SAMPLE_X
    assert rid.sex == "female"
    # full-width digits and letter from a Chinese input method
    assert validate_resident_id("１１０１０５１９４９１２３１００２Ｘ").number == SAMPLE_X


def test_leap_day_birthday_age():
    rid = validate_resident_id(with_check_digit("31011020000229003"), today=date(2026, 1, 1))
    assert rid.birth_date == date(2000, 2, 29)
    assert rid.age_on(date(2018, 2, 28)) == 17
    assert rid.age_on(date(2018, 3, 1)) == 18


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("", "identity.id_empty", "请填写身份证号码"),
        ("31011019510307001", "identity.id_length", "身份证号码应为18位，您填写了17位"),
        ("3101101951030700144", "identity.id_length", "身份证号码应为18位，您填写了19位"),
        ("310110510307001", "identity.id_length", "15位旧身份证号码已停用，请填写18位号码"),
        ("31011019510307001A", "identity.id_characters", "身份证号码前17位应为数字，最后一位为数字或X"),
        ("3101101951O3070014", "identity.id_characters", "身份证号码前17位应为数字，最后一位为数字或X"),
        (
            with_check_digit("99011019510307001"),
            "identity.id_region",
            "身份证号码前两位“99”不是有效的省级行政区划代码",
        ),
        (
            with_check_digit("31011019511307001"),
            "identity.id_birth_date",
            "身份证号码中的出生日期“19511307”无效",
        ),
        (
            with_check_digit("31011019510230001"),
            "identity.id_birth_date",
            "身份证号码中的出生日期“19510230”无效",
        ),
        (
            with_check_digit("31011018800101001"),
            "identity.id_birth_date",
            "身份证号码中的出生日期“18800101”无效",
        ),
        (
            with_check_digit("31011020991231001"),
            "identity.id_birth_date",
            "身份证号码中的出生日期“20991231”无效",
        ),
        ("310110195103070019", "identity.id_checksum", "身份证号码校验位不正确，请逐位核对"),
        ("11010519491231002Y", "identity.id_characters", "身份证号码前17位应为数字，最后一位为数字或X"),
        ("110105194912310021", "identity.id_checksum", "身份证号码校验位不正确，请逐位核对"),
    ],
)
def test_resident_id_rejections_say_what_is_wrong(value, code, message):
    with pytest.raises(ValidationError) as exc:
        validate_resident_id(value, today=date(2026, 11, 26))
    assert exc.value.code == code
    assert exc.value.message == message
    assert exc.value.message_en
    assert exc.value.status_code == 400


def test_birth_date_in_the_future_uses_today():
    tomorrow = with_check_digit("31011020261127001")
    with freeze_time("2026-11-26"), pytest.raises(ValidationError) as exc:
        validate_resident_id(tomorrow)
    assert exc.value.code == "identity.id_birth_date"
    with freeze_time("2026-11-27"):
        assert validate_resident_id(tomorrow).birth_date == date(2026, 11, 27)


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",  # python-stdnum's sample
        "914403001922038216",  # a Shenzhen enterprise
        "12100000400000624D",  # a public institution (机构编制 1)
        "91330100716105852F",
        "9131011 0MA1G8Q8E70",
    ],
)
def test_valid_credit_codes(code):
    assert validate_credit_code(code) == code.replace(" ", "")


def test_credit_code_normalises_lower_case_and_dashes():
    assert validate_credit_code("91110000-600037341l") == "91110000600037341L"


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("", "identity.uscc_empty", "请填写统一社会信用代码"),
        ("9111000060003734", "identity.uscc_length", "统一社会信用代码应为18位，您填写了16位"),
        (
            "91110000600037341O",
            "identity.uscc_characters",
            "统一社会信用代码含有无效字符：O（不使用I、O、S、V、Z）",
        ),
        (
            "9111000060003734IS",
            "identity.uscc_characters",
            "统一社会信用代码含有无效字符：I、S（不使用I、O、S、V、Z）",
        ),
        (
            "B1110000600037341L",
            "identity.uscc_characters",
            "统一社会信用代码前8位格式不正确（登记管理部门码、机构类别码、行政区划码）",
        ),
        (
            "911A0000600037341L",
            "identity.uscc_characters",
            "统一社会信用代码前8位格式不正确（登记管理部门码、机构类别码、行政区划码）",
        ),
        ("91110000600037341M", "identity.uscc_checksum", "统一社会信用代码校验位不正确，请逐位核对"),
    ],
)
def test_credit_code_rejections(value, code, message):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(value)
    assert (exc.value.code, exc.value.message) == (code, message)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13800000001", "13800000001"),
        ("138 0000 0001", "13800000001"),
        ("138-0000-0001", "13800000001"),
        ("+86 138 0000 0001", "13800000001"),
        ("008619912345678", "19912345678"),
        ("8616612345678", "16612345678"),
        ("１３８０００００００１", "13800000001"),
    ],
)
def test_valid_mobiles(value, expected):
    assert validate_mobile(value) == expected


@pytest.mark.parametrize(
    ("value", "code", "message"),
    [
        ("", "identity.mobile_empty", "请填写手机号码"),
        ("1380000000", "identity.mobile_length", "手机号码应为11位，您填写了10位"),
        ("138000000012", "identity.mobile_length", "手机号码应为11位，您填写了12位"),
        ("1380000000a", "identity.mobile_characters", "手机号码只能包含数字"),
        ("12800000001", "identity.mobile_prefix", "手机号码应以13–19开头"),
        ("02165432100", "identity.mobile_prefix", "手机号码应以13–19开头"),
    ],
)
def test_mobile_rejections(value, code, message):
    with pytest.raises(ValidationError) as exc:
        validate_mobile(value)
    assert (exc.value.code, exc.value.message) == (code, message)


class PersonForm(forms.Form):
    id_number = ResidentIdFormField()
    credit_code = CreditCodeFormField(required=False)
    phone = MobileFormField()


def test_form_fields_clean_to_normalised_values():
    form = PersonForm(
        data={"id_number": "11010519491231002x", "credit_code": "", "phone": "+86 138 0000 0001"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"id_number": SAMPLE_X, "credit_code": "", "phone": "13800000001"}


def test_form_field_errors_follow_the_language():
    data = {"id_number": "110105194912310021", "phone": "1380000000"}
    with translation.override("zh-hans"):
        form = PersonForm(data=data)
        assert not form.is_valid()
        assert form.errors["id_number"] == ["身份证号码校验位不正确，请逐位核对"]
    assert form.errors.as_data()["id_number"][0].code == "id_checksum"
    with translation.override("en"):
        form = PersonForm(data=data)
        assert not form.is_valid()
        assert form.errors["phone"] == ["A mobile number has 11 digits; this one has 10"]


class PersonSerializer(serializers.Serializer):
    id_number = ResidentIdField()
    credit_code = CreditCodeField(required=False, allow_blank=True)
    phone = MobileField()


def test_drf_fields():
    s = PersonSerializer(
        data={"id_number": " 11010519491231002x", "credit_code": "91110000600037341l", "phone": "13800000001"}
    )
    assert s.is_valid(), s.errors
    assert s.validated_data == {
        "id_number": SAMPLE_X,
        "credit_code": "91110000600037341L",
        "phone": "13800000001",
    }
    with translation.override("zh-hans"):
        s = PersonSerializer(data={"id_number": "31011019510307001", "phone": "12800000001"})
        assert not s.is_valid()
    assert s.errors["id_number"][0] == "身份证号码应为18位，您填写了17位"
    assert s.errors["id_number"][0].code == "id_length"
    assert s.errors["phone"][0].code == "mobile_prefix"


def test_model_field_validators():
    resident_id_validator(SAMPLE_X)
    credit_code_validator("91110000600037341L")
    mobile_validator("13800000001")
    with pytest.raises(DjangoValidationError) as exc:
        resident_id_validator("310110195103070019")
    assert exc.value.code == "id_checksum"
    with pytest.raises(DjangoValidationError):
        credit_code_validator("91110000600037341M")
    with pytest.raises(DjangoValidationError):
        mobile_validator("1234")


def test_province_level_region_code_is_not_a_resident_region():
    with pytest.raises(ValidationError) as exc:
        validate_resident_id(with_check_digit("31000019510307001"))
    assert exc.value.code == "identity.id_region"


def test_template_filters(db):
    from django.template import Context, Template

    from tongban.core.tests.fixtures import load_calendar

    load_calendar()
    template = Template(
        "{% load tongban_core %}{{ i|mask_id }} {{ p|mask_phone }} {{ n|mask_name }} "
        "[{{ d1|provisional_mark }}] [{{ d2|provisional_mark }}] [{{ d3|provisional_mark }}] [{{ none|provisional_mark }}]"
    )
    context = Context(
        {
            "i": SAMPLE_X,
            "p": "13812345678",
            "n": "张三明",
            "d1": date(2026, 5, 6),
            "d2": date(2027, 5, 6),
            "d3": date(2200, 1, 1),
        }
    )
    with translation.override("zh-hans"):
        out = template.render(context)
    assert out == "110105********002X 138****5678 张*明 [] [（暂定）] [（暂定）] []"
