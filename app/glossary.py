"""Fixed vocabularies of the platform, each code with the label the screens show."""

from __future__ import annotations

import enum


class LabelledEnum(str, enum.Enum):
    """A string enum whose members carry a Chinese screen label."""

    def __new__(cls, value: str, label: str) -> "LabelledEnum":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


class UnitLevel(LabelledEnum):
    REGION = ("region", "区域")
    PROVINCE = ("province", "省(直属)单位")
    CITY = ("city", "地市级单位")
    COUNTY = ("county", "县单位(部门)")


UNIT_LEVEL_ORDER = [UnitLevel.REGION, UnitLevel.PROVINCE, UnitLevel.CITY, UnitLevel.COUNTY]


class ApplicationStatus(LabelledEnum):
    PENDING = ("pending", "待审核")
    REVIEWED = ("reviewed", "已审核")
    RETURNED = ("returned", "已退回")
    COMPLETED = ("completed", "审核完成")


class Decision(LabelledEnum):
    PASS = ("pass", "合格")
    FAIL = ("fail", "不合格")


class CertificateStatus(LabelledEnum):
    MISSING = ("missing", "未上传")
    WAITING = ("waiting", "待审核")
    APPROVED = ("approved", "已通过")
    REJECTED = ("rejected", "已驳回")


class ScanType(LabelledEnum):
    CERTIFICATE = ("certificate", "证书")
    NOTICE = ("notice", "通知文件")
    TRANSCRIPT = ("transcript", "成绩单")
    INVOICE = ("invoice", "发票")
    OTHER = ("other", "其他")


class RoleName:
    """Names of the seeded roles as stored in the database and shown on screen."""

    EMPLOYEE = "申报人"
    CITY_REVIEWER = "地市级审核员"
    PROVINCE_REVIEWER = "省公司级审核员"
    TALENT_CENTRE = "人才中心管理员"
    SUPERADMIN = "超级管理员"
    REVIEWERS = (CITY_REVIEWER, PROVINCE_REVIEWER)
