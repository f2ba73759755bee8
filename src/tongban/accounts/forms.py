"""Sign-in forms: presence and shape only; the rules live in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class StaffLoginForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), max_length=256, strip=False, widget=forms.PasswordInput)


class OtpForm(forms.Form):
    token = forms.RegexField(
        label=_("动态码"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("请输入6位数字动态码")},
    )


class OtpSetupForm(OtpForm):
    device = forms.IntegerField(widget=forms.HiddenInput)


class PhoneForm(forms.Form):
    phone = forms.CharField(label=_("手机号码"), max_length=20)


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("短信验证码"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("请输入短信里的6位数字"), "required": _("请输入短信里的6位数字")},
    )


class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=100)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=30)
    contact_name = forms.CharField(label=_("经办人姓名"), max_length=50, required=False)
    phone = forms.CharField(label=_("经办人手机号码"), max_length=20)
