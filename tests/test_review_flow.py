"""The review workflow end to end: city level, province level, returns."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.glossary import RoleName
from app.models import Application, ReviewEvent
from tests.test_submission import applications, events, submit_compliant


def rows_of(page: str) -> list[str]:
    return re.findall(r'name="rows" value="(\d+:\d+)"', page)


def act(client, action, rows, reason=None, back="/review/"):
    data = {"action": action, "rows": rows, "back": back}
    if reason is not None:
        data["reason"] = reason
    return client.post("/review/action", data=data)


def selection(app) -> list[str]:
    return [f"{row.id}:{row.version}" for row in applications(app)]


def test_full_chain_to_final_result(app, employee_client, login_as):
    submit_compliant(employee_client)
    city = login_as("fushun_reviewer")
    province = login_as("liaoning_reviewer")

    page = city.get("/review/").get_data(as_text=True)
    assert rows_of(page) == selection(app)

    assert act(city, "pass", selection(app)).status_code == 302
    [application] = applications(app)
    assert application.status == "reviewed"
    assert application.city_decision == "pass"

    assert act(city, "submit", selection(app)).status_code == 302
    [application] = applications(app)
    assert application.status == "pending"
    assert application.review_unit_id == application.top_review_unit_id
    assert rows_of(city.get("/review/").get_data(as_text=True)) == []
    assert "张三" in city.get("/review/?tab=reviewed").get_data(as_text=True)

    assert rows_of(province.get("/review/").get_data(as_text=True)) == selection(app)
    act(province, "pass", selection(app))
    act(province, "submit", selection(app))
    [application] = applications(app)
    assert application.status == "completed"
    assert application.final_result == "pass"
    assert application.review_unit_id is None

    home = employee_client.get("/").get_data(as_text=True)
    assert "最终结果：合格" in home
    actions = [event.action for event in events(app)]
    assert actions == ["submit_application", "pass", "submit", "pass", "submit"]


@pytest.fixture
def submitted(app, employee_client):
    submit_compliant(employee_client)
    return applications(app)[0]


def test_fail_needs_reason(app, submitted, login_as):
    city = login_as("fushun_reviewer")

    response = act(city, "fail", selection(app))

    assert response.status_code == 302
    assert "需要填写原因" in city.get("/review/").get_data(as_text=True)
    [application] = applications(app)
    assert application.city_decision is None
    assert len(events(app)) == 1


def test_fail_then_submit_fixes_nothing_until_top(app, submitted, login_as):
    city = login_as("fushun_reviewer")
    act(city, "fail", selection(app), reason="学时证明材料不清晰")
    act(city, "submit", selection(app))
    province = login_as("liaoning_reviewer")
    act(province, "fail", selection(app), reason="同意地市意见")
    act(province, "submit", selection(app))

    [application] = applications(app)
    assert application.final_result == "fail"
    assert application.city_reason == "学时证明材料不清晰"
    assert application.province_reason == "同意地市意见"


def test_submit_without_decision_refused(app, submitted, login_as):
    city = login_as("fushun_reviewer")

    act(city, "submit", selection(app))

    page = city.get("/review/").get_data(as_text=True)
    assert "张三的申报尚未审核" in page
    [application] = applications(app)
    assert application.status == "pending"
    assert application.review_unit_id == application.first_review_unit_id


def test_return_to_employee_and_resubmit(app, submitted, login_as, employee_client):
    city = login_as("fushun_reviewer")
    act(city, "pass", selection(app))
    act(city, "return", selection(app), reason="请补充2025年的培训证书")

    [application] = applications(app)
    assert application.status == "returned"
    assert application.review_unit_id is None
    assert application.city_decision is None
    home = employee_client.get("/").get_data(as_text=True)
    assert "请补充2025年的培训证书" in home

    # The returned years are open again, and a resubmission starts over.
    with app.app_context():
        from app.models import Activity

        activity_id = db.session.scalars(sa.select(Activity.id)).first()
    edit = employee_client.get(f"/activities/{activity_id}/edit")
    assert edit.status_code == 200
    assert employee_client.post("/budget/submit", data={}).status_code == 302
    [application] = applications(app)
    assert application.status == "pending"
    assert application.review_unit_id == application.first_review_unit_id
    assert [e.action for e in events(app)] == [
        "submit_application", "pass", "return", "submit_application"
    ]
    assert rows_of(city.get("/review/").get_data(as_text=True)) == selection(app)


def test_province_returns_to_city(app, submitted, login_as):
    city = login_as("fushun_reviewer")
    act(city, "pass", selection(app))
    act(city, "submit", selection(app))
    province = login_as("liaoning_reviewer")
    act(province, "pass", selection(app))

    act(province, "return", selection(app), reason="请地市复核")

    [application] = applications(app)
    assert application.status == "pending"
    assert application.review_unit_id == application.first_review_unit_id
    assert application.city_decision is None
    assert application.province_decision is None
    assert rows_of(city.get("/review/").get_data(as_text=True)) == selection(app)
    assert rows_of(province.get("/review/").get_data(as_text=True)) == []


def test_province_cannot_act_at_city_stage(app, submitted, login_as):
    province = login_as("liaoning_reviewer")

    act(province, "pass", selection(app))

    [application] = applications(app)
    assert application.city_decision is None
    assert application.province_decision is None
    assert len(events(app)) == 1


def test_other_city_gets_404(app, submitted, make_account, login_as):
    make_account("shenyang_reviewer", RoleName.CITY_REVIEWER, "NE-LN-SY")
    other = login_as("shenyang_reviewer")

    response = act(other, "pass", selection(app))

    assert response.status_code == 404
    assert applications(app)[0].city_decision is None


@pytest.mark.parametrize("username", ["talent_admin", "superadmin"])
def test_viewers_without_level_cannot_decide(app, submitted, login_as, username):
    client = login_as(username)
    assert rows_of(client.get("/review/").get_data(as_text=True)) == selection(app)

    act(client, "pass", selection(app))

    assert applications(app)[0].city_decision is None


def test_unknown_action_is_400(app, submitted, login_as):
    city = login_as("fushun_reviewer")
    assert act(city, "approve_everything", selection(app)).status_code == 400
    assert act(city, "pass", ["junk"]).status_code == 302
    assert act(city, "pass", ["999999:1"]).status_code == 404
    assert applications(app)[0].city_decision is None


def test_stale_version_refused(app, submitted, login_as):
    city = login_as("fushun_reviewer")
    stale = selection(app)
    act(city, "pass", stale)

    act(city, "fail", stale, reason="重复提交")

    [application] = applications(app)
    assert application.city_decision == "pass"
    assert len(events(app)) == 2
    assert "已被他人处理" in city.get("/review/").get_data(as_text=True)


def test_per_row_buttons(app, submitted, login_as):
    city = login_as("fushun_reviewer")
    [row] = selection(app)

    city.post("/review/action", data={"row_action": f"pass:{row}", "back": "/review/"})
    assert applications(app)[0].city_decision == "pass"

    [row] = selection(app)
    city.post(
        "/review/action",
        data={"row_action": f"return:{row}", "reason": "驳回原因", "back": "/review/"},
    )
    assert applications(app)[0].status == "returned"


def test_concurrent_decisions_make_one_transition(app, submitted, login_as):
    import threading

    clients = [login_as("fushun_reviewer") for _ in range(4)]
    rows = selection(app)
    barrier = threading.Barrier(len(clients))
    statuses = []

    def decide(client):
        barrier.wait()
        statuses.append(act(client, "pass", rows).status_code)

    threads = [threading.Thread(target=decide, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * len(clients)
    decisions = [e for e in events(app) if e.action == "pass"]
    assert len(decisions) == 1
    [application] = applications(app)
    assert application.version == submitted.version + 1


def test_filters_paging_and_sort(app, submitted, login_as):
    city = login_as("fushun_reviewer")

    def names(url):
        return re.findall(r'data-application="\d+">', city.get(url).get_data(as_text=True))

    assert len(names("/review/?name=张")) == 1
    assert names("/review/?name=李") == []
    assert len(names("/review/?type=normal&compliant=yes")) == 1
    assert names("/review/?type=exception") == []
    assert names("/review/?year=1999") == []
    assert len(names("/review/?year=garbage&page=-3&size=7&sort=evil")) == 1
    assert len(names(f"/review/?id_number={submitted.applicant_id_number[:6]}")) == 1
    assert names("/review/?reviewed=yes") == []
    page = city.get("/review/?name=张&page=1&size=10").get_data(as_text=True)
    assert "name=%E5%BC%A0" in page  # the filter survives in the paging and sort links
    assert "点击收起/展开条件" in page


def test_unit_filter_only_inside_scope(app, submitted, login_as):
    with app.app_context():
        from app.models import Unit

        shenyang = db.session.scalar(sa.select(Unit.id).where(Unit.code == "NE-LN-SY"))
        fushun = db.session.scalar(sa.select(Unit.id).where(Unit.code == "NE-LN-FS"))
    city = login_as("fushun_reviewer")
    page = city.get("/review/").get_data(as_text=True)
    assert "沈阳" not in page
    assert len(re.findall(r'data-application=', city.get(f"/review/?unit={fushun}").get_data(as_text=True))) == 1
    # Another unit's id is ignored rather than widening the scope.
    assert len(re.findall(r'data-application=', city.get(f"/review/?unit={shenyang}").get_data(as_text=True))) == 1


def test_detail_shows_full_id_and_working(app, submitted, login_as):
    city = login_as("fushun_reviewer")
    page = city.get(f"/review/{submitted.id}").get_data(as_text=True)

    assert submitted.applicant_id_number in page
    assert "8天 × 8学时/天 = 64学时" in page
    assert "审核记录" in page
    list_page = city.get("/review/").get_data(as_text=True)
    assert submitted.applicant_id_number not in list_page
    assert submitted.applicant_id_number[:6] + "********" + submitted.applicant_id_number[-4:] in list_page
