"""Typed sign-in errors with stable codes (mapped to 4xx by ``tongban.core.errors``)."""

from __future__ import annotations

from tongban.core.errors import Conflict, Forbidden, NotFound, TongbanError, ValidationError


class AuthError(TongbanError):
    status_code = 401
    code = "auth.invalid_credentials"
    message = "用户名或密码不正确"
    message_en = "Wrong username or password"


class OtpRequired(AuthError):
    code = "auth.otp_required"
    message = "请输入身份验证器上的6位动态码"
    message_en = "Enter the 6-digit code from your authenticator app"


class OtpInvalid(AuthError):
    code = "auth.otp_invalid"
    message = "动态码不正确或已过期，请重新输入"
    message_en = "The authenticator code is wrong or expired; try again"


class OtpNotEnrolled(Forbidden):
    code = "auth.otp_not_enrolled"
    message = "尚未绑定身份验证器：请先在浏览器登录并完成绑定"
    message_en = "No authenticator enrolled: sign in with a browser and enrol one first"


class TwoFactorRequired(Forbidden):
    code = "auth.two_factor_required"
    message = "工作人员须完成双因素认证后才能使用此功能"
    message_en = "Staff must complete two-factor sign-in to use this"


class NotStaff(Forbidden):
    code = "auth.not_staff"
    message = "该账号不是工作人员账号"
    message_en = "This account is not a staff account"


class SmsCodeError(ValidationError):
    code = "sms_code.wrong"
    message = "验证码不正确，请核对短信后重新输入"
    message_en = "The code is wrong; check the SMS and try again"


class SmsCodeMissing(SmsCodeError):
    code = "sms_code.missing"
    message = "请先点击“获取验证码”"
    message_en = "Request a code first"


class SmsCodeExpired(SmsCodeError):
    code = "sms_code.expired"
    message = "验证码已过期，请重新获取"
    message_en = "The code has expired; request a new one"


class SmsCodeExhausted(SmsCodeError):
    code = "sms_code.exhausted"
    message = "验证码输错次数过多，已失效，请重新获取"
    message_en = "Too many wrong codes; this code no longer works, request a new one"


class EnterpriseNotFound(NotFound):
    code = "accounts.enterprise_not_found"
    message = "该手机号没有登记的企业账号，请先办理企业注册"
    message_en = "No enterprise account is registered with this phone"


class EnterpriseExists(Conflict):
    code = "accounts.enterprise_exists"
    message = "该统一社会信用代码已注册企业账号"
    message_en = "An enterprise account with this credit code already exists"


class UsernameTaken(Conflict):
    code = "accounts.username_taken"
    message = "用户名已被使用"
    message_en = "This username is already taken"
