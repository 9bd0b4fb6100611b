"""认定汇总证明: upload and history, scope, downloads, approval and rejection."""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from app import certificates
from app.demo import DEMO_PASSWORD
from app.extensions import db
from app.glossary import RoleName
from app.models import Account, CertificateEvent, SummaryCertificate, Unit
from tests.test_activities import PDF_BYTES

YEAR = dt.date.today().year
PDF_NAME = "抚顺供电公司学时报表（盖章）.pdf"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
FUSHUN = "国网辽宁电力有限公司抚顺供电公司"
LIAONING = "国网辽宁电力有限公司"


def upload(client, data=PDF_BYTES, name=PDF_NAME, year=YEAR, follow=False):
    form = {"year": str(year)}
    if data is not None:
        form["file"] = (io.BytesIO(data), name)
    return client.post(
        "/certificates/upload",
        data=form,
        content_type="multipart/form-data",
        follow_redirects=follow,
    )


def decide(client, certificate, action, reason=None, version=None, follow=False):
    form = {"action": action, "version": str(version or certificate.version)}
    if reason is not None:
        form["reason"] = reason
    return client.post(
        f"/certificates/{certificate.id}/decide", data=form, follow_redirects=follow
    )


def all_certificates(app) -> list[SummaryCertificate]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(SummaryCertificate).order_by(SummaryCertificate.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def all_events(app) -> list[CertificateEvent]:
    with app.app_context():
        rows = db.session.scalars(
            sa.select(CertificateEvent).order_by(CertificateEvent.id)
        ).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def database_state(app) -> tuple:
    """Return every certificate and event column, to show that nothing changed."""
    with app.app_context():
        certificate_rows = db.session.execute(
            sa.select(SummaryCertificate.__table__).order_by(SummaryCertificate.id)
        ).all()
        event_rows = db.session.execute(
            sa.select(CertificateEvent.__table__).order_by(CertificateEvent.id)
        ).all()
    return tuple(certificate_rows), tuple(event_rows)


def stored_files(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return sorted(path for path in root.rglob("*") if path.is_file())


def unit_id(app, code) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Unit.id).where(Unit.code == code))


def account_id(app, username) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(Account.id).where(Account.username == username)
        )


def status_of(page: str, unit_code: str) -> str:
    """Return the 状态 cell of a unit's row on the review page."""
    row = re.search(rf'<tr data-unit="{unit_code}">(.*?)</tr>', page, re.S)
    assert row is not None, f"no row for {unit_code}"
    return re.search(r'<td class="status">(.*?)</td>', row.group(1)).group(1)


@pytest.fixture
def fushun(login_as):
    return login_as("fushun_reviewer")


@pytest.fixture
def liaoning(login_as):
    return login_as("liaoning_reviewer")


@pytest.fixture
def shenyang(make_account, login_as):
    make_account("shenyang_reviewer", RoleName.CITY_REVIEWER, "NE-LN-SY")
    return login_as("shenyang_reviewer")


@pytest.fixture
def uploaded(app, fushun):
    """抚顺's certificate for this year, uploaded once."""
    assert upload(fushun).status_code == 302
    [certificate] = all_certificates(app)
    return certificate


# --- upload -------------------------------------------------------------------


def test_upload_becomes_current(app, fushun):
    response = upload(fushun, follow=True)
    page = response.get_data(as_text=True)

    [certificate] = all_certificates(app)
    assert "等待上级单位审核" in page
    assert PDF_NAME in page
    assert certificate.unit_id == unit_id(app, "NE-LN-FS")
    assert certificate.year == YEAR
    assert certificate.is_current is True
    assert certificate.status == "waiting"
    assert certificate.original_name == PDF_NAME
    assert certificate.content_type == "application/pdf"
    assert certificate.size == len(PDF_BYTES)
    assert certificate.uploaded_by_id == account_id(app, "fushun_reviewer")
    assert certificate.version == 1
    stored = Path(app.config["UPLOAD_FOLDER"]) / certificate.stored_path
    assert stored.read_bytes() == PDF_BYTES


def test_upload_records_event(app, uploaded):
    [event] = all_events(app)

    assert event.certificate_id == uploaded.id
    assert event.action == "upload"
    assert event.actor_id == account_id(app, "fushun_reviewer")
    assert event.role == RoleName.CITY_REVIEWER
    assert event.unit_id == unit_id(app, "NE-LN-FS")
    assert event.from_status == "missing"
    assert event.to_status == "waiting"
    assert event.created_on is not None


def test_reupload_keeps_history(app, fushun, uploaded):
    assert upload(fushun, PNG_BYTES, "重新盖章.png").status_code == 302

    first, second = all_certificates(app)
    assert first.id == uploaded.id
    assert first.is_current is False
    assert first.version == 2
    assert second.is_current is True
    assert second.status == "waiting"
    assert second.content_type == "image/png"
    assert [event.from_status for event in all_events(app)] == ["missing", "waiting"]

    old = fushun.get(f"/certificates/{first.id}/download")
    assert old.status_code == 200
    assert old.data == PDF_BYTES
    listing = fushun.get(f"/certificates/?year={YEAR}").get_data(as_text=True)
    assert "历史上传记录" in listing
    assert PDF_NAME in listing
    assert "重新盖章.png" in listing
    history = fushun.get(f"/certificates/upload?year={YEAR}").get_data(as_text=True)
    assert "已替换" in history
    assert "当前证明" in history


def test_reupload_after_approval(app, fushun, liaoning, uploaded):
    decide(liaoning, uploaded, "approve")

    upload(fushun, name="更正后.pdf")

    first, second = all_certificates(app)
    assert first.status == "approved"
    assert first.is_current is False
    assert second.status == "waiting"
    assert all_events(app)[-1].from_status == "approved"


def test_renamed_executable_rejected(app, fushun):
    before = database_state(app)

    response = upload(fushun, EXE_BYTES, "学时报表.pdf", follow=True)

    page = response.get_data(as_text=True)
    assert "只能上传 PDF、JPG、PNG 格式的文件" in page
    assert "修改扩展名无效" in page
    assert database_state(app) == before
    assert stored_files(app) == []


@pytest.mark.parametrize(
    ("year", "message"),
    [
        ("", "请填写证明所属年度"),
        ("abc", "年度“abc”无效"),
        ("1999", "年度“1999”无效"),
        (str(YEAR + 2), f"年度“{YEAR + 2}”无效"),
    ],
)
def test_upload_bad_year_rejected(app, fushun, year, message):
    before = database_state(app)

    page = upload(fushun, year=year, follow=True).get_data(as_text=True)

    assert message in page
    assert database_state(app) == before
    assert stored_files(app) == []


def test_upload_without_file_rejected(app, fushun):
    before = database_state(app)

    missing = upload(fushun, data=None, follow=True).get_data(as_text=True)
    unnamed = upload(fushun, name="", follow=True).get_data(as_text=True)

    assert "请选择要上传的认定汇总证明文件" in missing
    assert "请选择要上传的认定汇总证明文件" in unnamed
    assert database_state(app) == before


def test_upload_oversized_rejected(make_app):
    app = make_app(EVIDENCE_MAX_BYTES=len(PDF_BYTES) - 1)
    client = app.test_client()
    login = client.post(
        "/login/", data={"username": "fushun_reviewer", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 302
    before = database_state(app)

    page = upload(client, follow=True).get_data(as_text=True)

    assert "大小上限" in page
    assert database_state(app) == before
    assert stored_files(app) == []


def test_upload_form_shown_to_reviewer(fushun):
    page = fushun.get("/certificates/upload").get_data(as_text=True)

    assert 'enctype="multipart/form-data"' in page
    assert 'name="csrf_token"' in page
    assert FUSHUN in page
    assert f'value="{YEAR}"' in page


def test_talent_centre_cannot_upload(app, login_as):
    admin = login_as("talent_admin")
    before = database_state(app)

    form = admin.get("/certificates/upload")
    response = upload(admin)

    assert form.status_code == 403
    assert response.status_code == 403
    assert database_state(app) == before


def test_employee_has_no_access(app, employee_client, uploaded):
    before = database_state(app)

    for url in (
        "/certificates/",
        "/certificates/upload",
        "/certificates/review",
        f"/certificates/{uploaded.id}/download",
    ):
        response = employee_client.get(url)
        assert response.status_code == 403, url
        assert PDF_NAME not in response.get_data(as_text=True), url
    posted = upload(employee_client)
    decided = decide(employee_client, uploaded, "approve")

    assert posted.status_code == 403
    assert decided.status_code == 403
    assert database_state(app) == before


def test_anonymous_goes_to_login(app, uploaded):
    response = app.test_client().get(f"/certificates/{uploaded.id}/download")

    assert response.status_code == 302
    assert "/login/" in response.headers["Location"]


# --- list and download ----------------------------------------------------------


def test_download_keeps_chinese_name(uploaded, fushun):
    response = fushun.get(f"/certificates/{uploaded.id}/download")

    disposition = response.headers["Content-Disposition"]
    assert response.status_code == 200
    assert response.data == PDF_BYTES
    assert response.mimetype == "application/pdf"
    assert disposition.startswith("attachment")
    assert f"filename*=UTF-8''{quote(PDF_NAME)}" in disposition


def test_province_and_centre_download(uploaded, liaoning, login_as):
    admin = login_as("talent_admin")

    assert liaoning.get(f"/certificates/{uploaded.id}/download").data == PDF_BYTES
    assert admin.get(f"/certificates/{uploaded.id}/download").data == PDF_BYTES


def test_list_shows_subtree(uploaded, liaoning, login_as):
    page = liaoning.get(f"/certificates/?year={YEAR}").get_data(as_text=True)
    admin_page = login_as("talent_admin").get(f"/certificates/?year={YEAR}").get_data(
        as_text=True
    )

    assert FUSHUN in page
    assert PDF_NAME in page
    assert f"/certificates/{uploaded.id}/download" in page
    assert PDF_NAME in admin_page


def test_list_other_year_empty(uploaded, liaoning):
    page = liaoning.get(f"/certificates/?year={YEAR - 1}").get_data(as_text=True)

    assert PDF_NAME not in page
    assert f"{YEAR - 1}年没有已上传的认定汇总证明" in page


def test_sibling_cannot_see_or_download(app, uploaded, shenyang):
    page = shenyang.get(f"/certificates/?year={YEAR}").get_data(as_text=True)
    download = shenyang.get(f"/certificates/{uploaded.id}/download")

    assert PDF_NAME not in page
    assert download.status_code == 404


def test_other_province_cannot_download(uploaded, make_account, login_as):
    make_account("jilin_reviewer", RoleName.PROVINCE_REVIEWER, "NE-JL")
    jilin = login_as("jilin_reviewer")

    assert jilin.get(f"/certificates/{uploaded.id}/download").status_code == 404


def test_unknown_certificate_is_404(app, fushun, liaoning):
    before = database_state(app)

    assert fushun.get("/certificates/999999/download").status_code == 404
    response = liaoning.post(
        "/certificates/999999/decide", data={"action": "approve", "version": "1"}
    )
    assert response.status_code == 404
    assert database_state(app) == before


# --- review -------------------------------------------------------------------


def test_overview_shows_status_per_city(uploaded, liaoning):
    page = liaoning.get(f"/certificates/review?year={YEAR}").get_data(as_text=True)

    assert status_of(page, "NE-LN-FS") == "待审核"
    assert status_of(page, "NE-LN-SY") == "未上传"
    assert status_of(page, "NE-LN-DKY") == "未上传"
    # A head office has no reviewers, so it uploads no certificate.
    assert 'data-unit="NE-LN-HQ"' not in page
    assert len(re.findall(r'<tr data-unit="', page)) == 17


def test_overview_other_year_missing(uploaded, liaoning):
    page = liaoning.get(f"/certificates/review?year={YEAR - 1}").get_data(as_text=True)

    assert status_of(page, "NE-LN-FS") == "未上传"


def test_province_approves_city(app, uploaded, liaoning):
    response = decide(liaoning, uploaded, "approve", follow=True)

    [certificate] = all_certificates(app)
    upload_event, approve_event = all_events(app)
    assert f"已通过{FUSHUN}的认定汇总证明" in response.get_data(as_text=True)
    assert certificate.status == "approved"
    assert certificate.version == 2
    assert certificate.decided_by_id == account_id(app, "liaoning_reviewer")
    assert certificate.decided_on is not None
    assert approve_event.action == "approve"
    assert approve_event.certificate_id == certificate.id
    assert approve_event.actor_id == account_id(app, "liaoning_reviewer")
    assert approve_event.role == RoleName.PROVINCE_REVIEWER
    assert approve_event.unit_id == unit_id(app, "NE-LN")
    assert approve_event.from_status == "waiting"
    assert approve_event.to_status == "approved"
    page = liaoning.get(f"/certificates/review?year={YEAR}").get_data(as_text=True)
    assert status_of(page, "NE-LN-FS") == "已通过"


def test_city_sees_own_result(uploaded, fushun, liaoning):
    decide(liaoning, uploaded, "reject", reason="缺少单位公章")

    page = fushun.get(f"/certificates/review?year={YEAR}").get_data(as_text=True)

    own = re.search(r'<p id="own-status">(.*?)</p>', page, re.S).group(1)
    assert "已驳回" in own
    assert "缺少单位公章" in own
    assert "本单位没有需要审核认定汇总证明的下级单位" in page


def test_reject_requires_reason(app, uploaded, liaoning):
    before = database_state(app)

    for reason in (None, "   "):
        page = decide(liaoning, uploaded, "reject", reason=reason, follow=True)
        assert "驳回需要填写原因" in page.get_data(as_text=True)
        assert database_state(app) == before

    decide(liaoning, uploaded, "reject", reason="报表未盖章")

    [certificate] = all_certificates(app)
    event = all_events(app)[-1]
    assert certificate.status == "rejected"
    assert certificate.decision_reason == "报表未盖章"
    assert event.action == "reject"
    assert event.reason == "报表未盖章"
    assert event.to_status == "rejected"


def test_reason_too_long_refused(app, uploaded, liaoning):
    before = database_state(app)

    page = decide(liaoning, uploaded, "reject", reason="长" * 1001, follow=True)

    assert "原因不能超过1000个字" in page.get_data(as_text=True)
    assert database_state(app) == before


def test_second_approve_refused(app, uploaded, liaoning, login_as):
    decide(liaoning, uploaded, "approve")
    after_first = database_state(app)
    other = login_as("liaoning_reviewer")

    repeat = decide(liaoning, uploaded, "approve", follow=True)
    reject = decide(other, uploaded, "reject", reason="迟到的驳回", follow=True)

    assert "不能重复审核" in repeat.get_data(as_text=True)
    assert "不能重复审核" in reject.get_data(as_text=True)
    assert database_state(app) == after_first
    assert [event.action for event in all_events(app)] == ["upload", "approve"]


def test_stale_version_refused(app, uploaded, liaoning):
    before = database_state(app)

    stale = uploaded.version + 5

    page = decide(liaoning, uploaded, "approve", version=stale, follow=True)

    assert "已被他人处理" in page.get_data(as_text=True)
    assert database_state(app) == before


def test_replaced_certificate_refused(app, fushun, liaoning, uploaded):
    upload(fushun, name="新版.pdf")
    before = database_state(app)
    [replaced, _] = all_certificates(app)

    page = decide(liaoning, replaced, "approve", follow=True)

    assert "请审核最新的证明" in page.get_data(as_text=True)
    assert database_state(app) == before


def test_bad_version_and_action(app, uploaded, liaoning):
    before = database_state(app)

    junk = liaoning.post(
        f"/certificates/{uploaded.id}/decide",
        data={"action": "approve", "version": "x"},
        follow_redirects=True,
    )
    unknown = liaoning.post(
        f"/certificates/{uploaded.id}/decide", data={"action": "delete", "version": "1"}
    )

    assert "所选证明无效" in junk.get_data(as_text=True)
    assert unknown.status_code == 400
    assert database_state(app) == before


def test_city_cannot_approve_own(app, uploaded, fushun):
    before = database_state(app)

    response = decide(fushun, uploaded, "approve", follow=True)

    assert f"{FUSHUN}的认定汇总证明由{LIAONING}审核" in response.get_data(as_text=True)
    assert database_state(app) == before


def test_sibling_cannot_approve(app, uploaded, shenyang):
    before = database_state(app)

    response = decide(shenyang, uploaded, "approve")

    assert response.status_code == 404
    assert database_state(app) == before


def test_centre_cannot_decide_city(app, uploaded, login_as):
    before = database_state(app)

    response = decide(login_as("talent_admin"), uploaded, "approve", follow=True)

    assert f"由{LIAONING}审核" in response.get_data(as_text=True)
    assert database_state(app) == before


def test_centre_decides_province(app, liaoning, login_as):
    admin = login_as("talent_admin")
    upload(liaoning, name="辽宁公司学时报表.pdf")
    [certificate] = all_certificates(app)

    own = decide(liaoning, certificate, "approve", follow=True).get_data(as_text=True)
    overview = admin.get(f"/certificates/review?year={YEAR}").get_data(as_text=True)
    decide(admin, certificate, "approve")

    [decided] = all_certificates(app)
    event = all_events(app)[-1]
    assert "由国网人才中心审核" in own
    assert status_of(overview, "NE-LN") == "待审核"
    assert status_of(overview, "NE-JL") == "未上传"
    assert 'data-unit="NE-LN-FS"' not in overview
    assert decided.status == "approved"
    assert event.role == RoleName.TALENT_CENTRE
    assert event.unit_id is None


def test_decide_forms_only_for_decider(uploaded, liaoning, login_as):
    province_page = liaoning.get(f"/certificates/review?year={YEAR}").get_data(
        as_text=True
    )
    admin = login_as("talent_admin")
    listing = admin.get(f"/certificates/review?year={YEAR}").get_data(as_text=True)

    assert f"/certificates/{uploaded.id}/decide" in province_page
    assert f"/certificates/{uploaded.id}/decide" not in listing


def test_concurrent_decisions_one_wins(app, uploaded):
    """Two reviewers decide at once; the guarded UPDATE lets only one through."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def run(action, reason):
        with app.app_context():
            actor = db.session.scalar(
                sa.select(Account).where(Account.username == "liaoning_reviewer")
            )
            barrier.wait()
            try:
                certificates.decide(
                    actor, uploaded.id, action, str(uploaded.version), reason
                )
                outcomes.append(action)
            except certificates.Refused:
                outcomes.append("refused")
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=run, args=("approve", None)),
        threading.Thread(target=run, args=("reject", "同时驳回")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    [certificate] = all_certificates(app)
    decisions = [event for event in all_events(app) if event.action != "upload"]
    assert outcomes.count("refused") == 1
    assert len(decisions) == 1
    assert certificate.version == 2
    expected = {"approve": "approved", "reject": "rejected"}[decisions[0].action]
    assert certificate.status == expected


# --- rules without HTTP ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2024", 2024), (" 2000 ", 2000), ("2027", 2027), ("２０２４", 2024)],
)
def test_parse_year_accepts(raw, expected):
    assert certificates.parse_year(raw, dt.date(2026, 6, 1)) == expected


@pytest.mark.parametrize("raw", [None, "", "1999", "2028", "20x4", "-2024", "²⁰²⁴"])
def test_parse_year_rejects(raw):
    with pytest.raises(certificates.Refused):
        certificates.parse_year(raw, dt.date(2026, 6, 1))


def test_superior_units(app):
    with app.app_context():
        fushun = db.session.scalar(sa.select(Unit).where(Unit.code == "NE-LN-FS"))
        research = db.session.scalar(sa.select(Unit).where(Unit.code == "NE-LN-DKY"))
        province = db.session.scalar(sa.select(Unit).where(Unit.code == "NE-LN"))

        assert certificates.superior_unit(fushun).code == "NE-LN"
        assert certificates.superior_unit(research).code == "NE-LN"
        assert certificates.superior_unit(province) is None


# --- links and CSRF -------------------------------------------------------------


def test_review_list_links(fushun, login_as):
    page = fushun.get("/review/?year=2024").get_data(as_text=True)
    admin_page = login_as("talent_admin").get("/review/").get_data(as_text=True)

    toolbar = r'<div class="certificate-toolbar" id="certificate-links">(.*?)</div>'
    links = re.search(toolbar, page, re.S)
    assert links is not None
    for label in ("上传认定汇总证明", "查看认定汇总证明", "审核认定汇总证明", "导出学时报表"):
        assert label in links.group(1)
    assert "/review/report?year=2024" in links.group(1)
    assert "/certificates/upload?year=2024" in links.group(1)
    assert "上传认定汇总证明" not in admin_page
    assert "查看认定汇总证明" in admin_page


_CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def test_decide_needs_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)

    def logged_in(username):
        client = app.test_client()
        token = _CSRF_TOKEN.search(client.get("/login/").get_data(as_text=True))[1]
        client.post(
            "/login/",
            data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token},
        )
        return client

    city = logged_in("fushun_reviewer")
    upload_page = city.get("/certificates/upload").get_data(as_text=True)
    form_token = _CSRF_TOKEN.search(upload_page)[1]
    without = upload(city)
    with_token = city.post(
        "/certificates/upload",
        data={
            "year": str(YEAR),
            "file": (io.BytesIO(PDF_BYTES), PDF_NAME),
            "csrf_token": form_token,
        },
        content_type="multipart/form-data",
    )
    [certificate] = all_certificates(app)

    province = logged_in("liaoning_reviewer")
    review_page = province.get(f"/certificates/review?year={YEAR}").get_data(
        as_text=True
    )
    before = database_state(app)
    refused = decide(province, certificate, "approve")
    unchanged = database_state(app)
    accepted = province.post(
        f"/certificates/{certificate.id}/decide",
        data={
            "action": "approve",
            "version": str(certificate.version),
            "csrf_token": _CSRF_TOKEN.search(review_page)[1],
        },
    )

    assert without.status_code == 400
    assert with_token.status_code == 302
    assert refused.status_code == 400
    assert unchanged == before
    assert accepted.status_code == 302
    assert all_certificates(app)[0].status == "approved"

