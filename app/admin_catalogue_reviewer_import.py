"""Bulk import of reviewer accounts from Excel: check every row, then add all or none.

Usernames and the unit each role may be bound to follow the account screens'
rules (app.admin_accounts_policy): a city-level reviewer (地市级审核员) belongs
to a city-level reviewing unit, a province-level reviewer (省公司级审核员) to a
province-level one, and a head office (本部) has none. Usernames, ID-card
numbers and mobile numbers are unique within the file and against every
existing account. A row without an initial password gets a generated one,
shown once in the report. Every imported account must change its password at
first login.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Optional

from flask import current_app
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from .admin_accounts_policy import USERNAME_RULE_TEXT, username_problem
from .admin_accounts_policy import unit_problem as binding_problem
from .audit import record_audit, record_audit_many
from .catalog_data import LEVEL_PROVINCE
from .extensions import db
from .glossary import RoleName
from .identity import (
    InvalidValue,
    check_password,
    normalize_id_number,
    normalize_mobile,
)
from .imports import (
    ImportColumn,
    ImportRejected,
    ProblemList,
    RowProblem,
    SheetRows,
)
from .models import Account, Unit
from .text import clean_text, is_valid_name

log = logging.getLogger(__name__)

# Each password is hashed with scrypt, which took about 0.1 s per account
# (werkzeug 3.1.9, measured on a 2-core server), so a full file needs an
# estimated 50 s.
MAX_ROWS = 500

NAME = "姓名"
USERNAME = "用户名"
ID_NUMBER = "身份证号"
MOBILE = "手机号"
UNIT = "单位编码"
ROLE = "角色"
PASSWORD = "初始密码"

# The e-mail FAB requires for every account; reviewers are issued none.
EMAIL_DOMAIN = "reviewer.invalid"

COLUMNS = (
    ImportColumn(NAME, max_length=40, width=12, note="2 至 40 个汉字或字母。"),
    ImportColumn(
        USERNAME,
        identifier=True,
        max_length=64,
        width=20,
        note=USERNAME_RULE_TEXT + "不区分大小写。",
    ),
    ImportColumn(
        ID_NUMBER,
        required=False,
        identifier=True,
        max_length=30,
        width=22,
        note="选填，18 位身份证号。",
    ),
    ImportColumn(
        MOBILE, identifier=True, max_length=20, width=15, note="11 位手机号。"
    ),
    ImportColumn(
        UNIT,
        identifier=True,
        max_length=400,
        width=30,
        note="单位编码（例如 NE-LN-FS），或从区域（也可从省(直属)单位）起的单位名称路径，用“/”分隔。",
    ),
    ImportColumn(
        ROLE,
        choices=RoleName.REVIEWERS,
        width=16,
        note="地市级审核员（单位须为地市级审核单位）或省公司级审核员（单位须为省(直属)单位）。",
    ),
    ImportColumn(
        PASSWORD,
        required=False,
        identifier=True,
        max_length=128,
        width=16,
        note="选填。留空则由系统生成，只在导入结果中显示一次。首次登录须修改密码。",
    ),
)

NOTES = (
    "第 1 行是表头，请勿修改；数据从第 2 行开始，每行一个审核员账号。",
    "所有列已设置为文本格式，身份证号、手机号才不会被 Excel 改成数字。从其他表格粘贴时请选择“只粘贴数值”。",
    "导入前会检查全部数据行：任何一行有误则不导入任何账号，并列出每个问题所在的行。",
    f"每个文件最多 {MAX_ROWS} 行、2MB。",
)

_PASSWORD_ALPHABETS = (
    "ABCDEFGHJKLMNPQRSTUVWXYZ",
    "abcdefghijkmnpqrstuvwxyz",
    "23456789",
    "@#%&*+=?",
)
GENERATED_PASSWORD_LENGTH = 12


@dataclass
class ReviewerDraft:
    """A checked row: a reviewer account to add."""

    row: int
    name: str
    username: str
    id_number: Optional[str]
    mobile: str
    unit: Optional[Unit]
    role_name: str
    password: str
    generated: bool


@dataclass(frozen=True)
class CreatedAccount:
    """An imported account as the report shows it; `password` only if generated."""

    row: int
    username: str
    name: str
    unit_name: str
    role_name: str
    password: Optional[str]


def generate_password(username: str, id_number: Optional[str], mobile: str) -> str:
    """Return a random password that passes the policy, without look-alike characters."""
    everything = "".join(_PASSWORD_ALPHABETS)
    randomiser = secrets.SystemRandom()
    while True:
        characters = [secrets.choice(alphabet) for alphabet in _PASSWORD_ALPHABETS]
        characters += [
            secrets.choice(everything)
            for _ in range(GENERATED_PASSWORD_LENGTH - len(characters))
        ]
        randomiser.shuffle(characters)
        password = "".join(characters)
        if not check_password(
            password, username=username, id_number=id_number, mobile=mobile
        ):
            return password


class UnitResolver:
    """Find units by code or by a "/"-separated path of names, from one query."""

    def __init__(self) -> None:
        self.units = list(db.session.scalars(select(Unit)))
        self.by_code = {unit.code.upper(): unit for unit in self.units}
        self.children: dict[Optional[int], dict[str, Unit]] = {}
        for unit in self.units:
            self.children.setdefault(unit.parent_id, {})[unit.name] = unit

    def find(self, text: str) -> tuple[Optional[Unit], Optional[str]]:
        """Return (unit, None) or (None, the message saying why none was found)."""
        unit = self.by_code.get(text.upper())
        if unit is not None:
            return unit, None
        names = [part.strip() for part in text.split("/") if part.strip()]
        if "/" not in text or not names:
            return None, f"单位编码 {text} 不存在。"
        starts = [self.children.get(None, {}).get(names[0])]
        if starts[0] is None:
            # The region may be left out: start at a province-level unit.
            starts = [
                unit
                for unit in self.units
                if unit.level == LEVEL_PROVINCE and unit.name == names[0]
            ]
        if len(starts) != 1:
            return None, f"单位路径中的「{names[0]}」不存在或不唯一，请改填单位编码。"
        unit = starts[0]
        for name in names[1:]:
            unit = self.children.get(unit.id, {}).get(name)
            if unit is None:
                return None, f"单位路径中的「{name}」不存在，请核对后重新填写。"
        return unit, None


def _unit_binding_problem(role_name: str, unit: Unit) -> Optional[str]:
    """Apply the account screens' rule for the unit of a reviewer role."""
    if role_name not in RoleName.REVIEWERS:
        return None
    return binding_problem(role_name, unit)


class _ExistingIdentities:
    """Usernames, e-mails, ID-card and mobile numbers of existing accounts."""

    def __init__(
        self, usernames: set[str], id_numbers: set[str], mobiles: set[str]
    ) -> None:
        self.usernames = self._scalars(func.lower(Account.username), usernames)
        self.emails = self._scalars(
            func.lower(Account.email), {f"{name}@{EMAIL_DOMAIN}" for name in usernames}
        )
        self.id_numbers = self._scalars(Account.id_number, id_numbers) | self._scalars(
            func.upper(Account.username), id_numbers
        )
        self.mobiles = self._scalars(Account.mobile, mobiles)

    @staticmethod
    def _scalars(column, values: set[str]) -> set[str]:
        found: set[str] = set()
        ordered = sorted(values)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            found.update(db.session.scalars(select(column).where(column.in_(chunk))))
        return found


def check_rows(sheet: SheetRows) -> tuple[list[ReviewerDraft], list[RowProblem]]:
    """Check every row against the file and the database; return drafts and problems."""
    problems = ProblemList(sheet.problems)
    report = problems.add
    resolver = UnitResolver()

    drafts = []
    for row, cells in sheet.rows:
        drafts.append(_parse_row(row, cells, resolver, report))

    existing_identities = _ExistingIdentities(
        {draft.username.lower() for draft in drafts if draft.username},
        {draft.id_number for draft in drafts if draft.id_number},
        {draft.mobile for draft in drafts if draft.mobile},
    )
    seen: dict[tuple[str, str], int] = {}
    for draft in drafts:
        for field, value, existing in (
            (USERNAME, draft.username.lower(), existing_identities.usernames),
            (ID_NUMBER, draft.id_number, existing_identities.id_numbers),
            (MOBILE, draft.mobile, existing_identities.mobiles),
        ):
            if not value:
                continue
            first = seen.setdefault((field, value), draft.row)
            if first != draft.row:
                report(draft.row, field, f"{field}与第 {first} 行重复。")
            elif value in existing:
                report(draft.row, field, f"该{field}已被其他账号使用。")
        if (
            draft.username
            and f"{draft.username.lower()}@{EMAIL_DOMAIN}" in existing_identities.emails
        ):
            report(
                draft.row, USERNAME, "该用户名对应的账号邮箱已被占用，请换一个用户名。"
            )
        _check_password(draft, report)
    return drafts, problems.sorted()


def _parse_row(
    row: int, cells: dict[str, str], resolver: UnitResolver, report
) -> ReviewerDraft:
    name = clean_text(cells[NAME])
    if name and not is_valid_name(name):
        report(row, NAME, "姓名应为 2 至 40 个汉字或字母。")

    username = cells[USERNAME]
    if username:
        report(row, USERNAME, username_problem(username))

    id_number = None
    if cells[ID_NUMBER]:
        try:
            id_number = normalize_id_number(cells[ID_NUMBER])
        except InvalidValue as error:
            report(row, ID_NUMBER, error.message)

    mobile = ""
    if cells[MOBILE]:
        try:
            mobile = normalize_mobile(cells[MOBILE])
        except InvalidValue as error:
            report(row, MOBILE, error.message)

    role_name = cells[ROLE]
    if role_name and role_name not in RoleName.REVIEWERS:
        report(row, ROLE, f"角色只能是{'或'.join(RoleName.REVIEWERS)}。")

    unit = None
    if cells[UNIT]:
        unit, message = resolver.find(cells[UNIT])
        report(row, UNIT, message or _unit_binding_problem(role_name, unit))

    return ReviewerDraft(
        row=row,
        name=name,
        username=username,
        id_number=id_number,
        mobile=mobile,
        unit=unit,
        role_name=role_name,
        password=cells[PASSWORD],
        generated=False,
    )


def _check_password(draft: ReviewerDraft, report) -> None:
    if not draft.password:
        draft.password = generate_password(
            draft.username, draft.id_number, draft.mobile
        )
        draft.generated = True
        return
    failures = check_password(
        draft.password,
        username=draft.username,
        id_number=draft.id_number,
        mobile=draft.mobile,
    )
    report(draft.row, PASSWORD, "".join(failures))


def import_reviewers(
    actor: Optional[Account], drafts: list[ReviewerDraft]
) -> list[CreatedAccount]:
    """Add the checked accounts in one transaction and commit; return the report rows."""
    security = current_app.appbuilder.sm
    roles = {name: security.find_role(name) for name in RoleName.REVIEWERS}
    missing = [name for name, role in roles.items() if role is None]
    if missing:
        raise ImportRejected(f"系统中没有角色{'、'.join(missing)}，请先初始化角色。")

    method = current_app.config["FAB_PASSWORD_HASH_METHOD"]
    accounts = []
    for draft in drafts:
        account = Account(
            first_name=draft.name,
            last_name="",
            username=draft.username,
            email=f"{draft.username.lower()}@{EMAIL_DOMAIN}",
            id_number=draft.id_number,
            mobile=draft.mobile,
            unit_id=draft.unit.id,
            active=True,
            must_change_password=True,
            password=generate_password_hash(draft.password, method=method),
        )
        account.roles = [roles[draft.role_name]]
        db.session.add(account)
        accounts.append((draft, account))
    db.session.flush()

    record_audit_many(
        actor,
        [
            {
                "action": "account.import",
                "target_type": "account",
                "target_id": account.id,
                "summary": f"导入审核员账号：{account.full_name}（{account.username}），"
                f"{draft.role_name}，{draft.unit.name}",
                "unit_id": account.unit_id,
            }
            for draft, account in accounts
        ],
    )
    record_audit(
        actor,
        "import.reviewers",
        "import",
        None,
        f"批量导入审核员账号 {len(accounts)} 个",
        details={
            "count": len(accounts),
            "account_ids": [a.id for _, a in accounts[:200]],
        },
    )
    db.session.commit()
    log.info(
        "imported %d reviewer accounts by user=%s: ids %s",
        len(accounts),
        actor.id if actor else None,
        [account.id for _, account in accounts],
    )
    return [
        CreatedAccount(
            row=draft.row,
            username=account.username,
            name=account.full_name,
            unit_name=draft.unit.name,
            role_name=draft.role_name,
            password=draft.password if draft.generated else None,
        )
        for draft, account in accounts
    ]
