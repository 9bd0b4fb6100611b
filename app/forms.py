"""WTForms forms of the employee's screens, with field-level Chinese errors.

Normalised values (the 18-character ID number, the 11-digit mobile) are left
in `field.data` by the validators, so views save exactly what was checked.
"""

from __future__ import annotations

import datetime as dt

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from .ids import parse_id
from .text import is_valid_name
from .identity import (
    PASSWORD_RULE_TEXT,
    InvalidValue,
    check_password,
    normalize_id_number,
    normalize_mobile,
)

REQUIRED = "此项为必填项"


def _optional_int(value: object) -> int | None:
    return parse_id(value)


class IdNumberField(StringField):
    """An ID-card number, normalised to 18 characters while validating."""

    def pre_validate(self, form: FlaskForm) -> None:
        if not self.data:
            return
        try:
            self.data = normalize_id_number(self.data)
        except InvalidValue as error:
            raise ValidationError(error.message) from error


class MobileField(StringField):
    """A mainland mobile number, normalised to 11 digits while validating."""

    def pre_validate(self, form: FlaskForm) -> None:
        if not self.data:
            return
        try:
            self.data = normalize_mobile(self.data)
        except InvalidValue as error:
            raise ValidationError(error.message) from error


class UnitChoiceField(SelectField):
    """A unit picked in the cascade; its choices are filled by the view."""

    def __init__(self, label: str, **kwargs: object) -> None:
        super().__init__(label, coerce=_optional_int, validate_choice=False, **kwargs)


class UnitCascadeForm(FlaskForm):
    """The four-level unit cascade: region → province → work unit → county unit."""

    region = UnitChoiceField("区域名称", validators=[InputRequired(REQUIRED)])
    province = UnitChoiceField("省(直属)单位", validators=[InputRequired(REQUIRED)])
    city = UnitChoiceField("工作单位", validators=[InputRequired(REQUIRED)])
    county = UnitChoiceField("县单位(部门)")


class RegistrationForm(UnitCascadeForm):
    name = StringField(
        "姓名",
        validators=[DataRequired(REQUIRED), Length(max=40, message="姓名不能超过40个字")],
    )
    id_number = IdNumberField("身份证号", validators=[DataRequired(REQUIRED)])
    mobile = MobileField("手机号", validators=[DataRequired(REQUIRED)])
    password = PasswordField(
        "密码", validators=[DataRequired(REQUIRED)], description=PASSWORD_RULE_TEXT
    )
    password_confirm = PasswordField("确认密码", validators=[DataRequired(REQUIRED)])

    def validate_name(self, field: StringField) -> None:
        field.data = (field.data or "").strip()
        if not field.data:
            raise ValidationError(REQUIRED)
        if not is_valid_name(field.data):
            raise ValidationError("姓名应为2至40个汉字或字母，可含间隔号“·”")

    def validate_password(self, field: PasswordField) -> None:
        id_number = self.id_number.data if not self.id_number.errors else None
        mobile = self.mobile.data if not self.mobile.errors else None
        problems = check_password(
            field.data or "", id_number=id_number, mobile=mobile
        )
        if problems:
            raise ValidationError("".join(problems))

    def validate_password_confirm(self, field: PasswordField) -> None:
        if field.data != self.password.data:
            raise ValidationError("两次输入的密码不一致")


class ProfileForm(UnitCascadeForm):
    mobile = MobileField("手机号", validators=[DataRequired(REQUIRED)])
    current_level = SelectField("现职称等级", coerce=_optional_int, validate_choice=False)
    current_title = SelectField("现职称", coerce=_optional_int, validate_choice=False)
    title_obtained_on = DateField(
        "现职称取得时间",
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"placeholder": "YYYY-MM-DD"},
    )
    target_year = SelectField("拟申报年份", coerce=_optional_int, validate_choice=False)
    target_method = SelectField("拟申报方式", validate_choice=False)
    target_level = SelectField("拟申报职称等级", coerce=_optional_int, validate_choice=False)
    target_series = SelectField("拟申报专业", coerce=_optional_int, validate_choice=False)
    target_subspecialty = SelectField(
        "拟申报分支专业", coerce=_optional_int, validate_choice=False
    )
    target_title = SelectField("拟申报职称", coerce=_optional_int, validate_choice=False)

    def validate_title_obtained_on(self, field: DateField) -> None:
        if field.data and field.data > dt.date.today():
            raise ValidationError("取得时间不能晚于今天")


class PhotoForm(FlaskForm):
    photo = FileField("照片", validators=[DataRequired("请选择照片文件")])


class EvidenceForm(FlaskForm):
    scan_type = SelectField("扫描件类型", validators=[DataRequired(REQUIRED)])
    file = FileField("佐证材料", validators=[DataRequired("请选择要上传的文件")])


class SubmissionForm(FlaskForm):
    exception_type = SelectField("破格类型", validate_choice=False)
    exception_reason = TextAreaField(
        "情况说明", validators=[Length(max=2000, message="情况说明不能超过2000个字")]
    )
    exception_scan = FileField("单位盖章版佐证材料")
