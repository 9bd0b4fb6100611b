"""View registration and the home page (首页).

Each concept's screens live in their own module; `register` adds them all to
one `AppBuilder` with the menu the users know from the manual.
"""

from __future__ import annotations

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose

from .extensions import db
from .glossary import RoleName
from .hours import compute_budget
from .models import Application, Profile
from .scope import is_reviewer, role_names


class HomeView(IndexView):
    """首页: the employee's profile, progress and four-year table."""

    index_template = "home.html"

    @expose("/")
    def index(self):
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(url_for("PlatformAuthDBView.login"))
        if is_reviewer(user):
            return redirect(url_for("ReviewView.list"))
        if RoleName.EMPLOYEE not in role_names(user):
            return self.render_template("admin_home.html")

        profile = db.session.get(Profile, user.id)
        budget = compute_budget(user.id, profile)
        application = db.session.scalar(
            db.select(Application).where(
                Application.applicant_id == user.id,
                Application.year == budget.application_year,
            )
        )
        return self.render_template(
            self.index_template,
            user=user,
            profile=profile,
            budget=budget,
            application=application,
        )


def register(appbuilder) -> None:
    """Add every view and menu entry of the platform to `appbuilder`."""
    from .account_views import CatalogueApi, PhotoView, ProfileView, RegisterView
    from .activity_views import ActivityView, EvidenceView
    from .certificate_views import CertificateView
    from .pages import PageView
    from .export_views import ExportView
    from .review_views import ReviewView
    from .submission_views import SubmissionView

    appbuilder.add_view_no_menu(RegisterView())
    appbuilder.add_view_no_menu(CatalogueApi())
    appbuilder.add_view_no_menu(ProfileView())
    appbuilder.add_view_no_menu(PhotoView())
    appbuilder.add_view_no_menu(EvidenceView())

    activity_view = ActivityView()
    appbuilder.add_view_no_menu(activity_view)
    appbuilder.add_link(
        "业绩填报",
        href="/activities/",
        icon="fa-edit",
        category="学时折算",
        category_label="学时折算",
    )
    submission_view = SubmissionView()
    appbuilder.add_view_no_menu(submission_view)
    appbuilder.add_link(
        "预算学时",
        href="/budget/",
        icon="fa-calculator",
        category="学时折算",
    )
    appbuilder.add_view_no_menu(ReviewView())
    appbuilder.add_view_no_menu(ExportView())
    appbuilder.add_link(
        "学时折算审核",
        href="/review/",
        icon="fa-check-square",
        category="审核管理",
        category_label="审核管理",
    )
    appbuilder.add_view_no_menu(CertificateView())
    appbuilder.add_link(
        "认定汇总证明",
        href="/certificates/",
        icon="fa-certificate",
        category="审核管理",
    )
    from . import admin_accounts, admin_catalogue, admin_rules, audit_views

    for module in (admin_accounts, admin_catalogue, admin_rules, audit_views):
        module.register(appbuilder)

    # The manual's header links, for every role.
    appbuilder.add_link("修改密码", href="/resetmypassword/form", icon="fa-key")
    appbuilder.add_link("退出系统", href="/logout/", icon="fa-sign-out")
    page_view = PageView()
    appbuilder.add_view_no_menu(page_view)
    appbuilder.add_link(
        "操作手册",
        href="/pages/manual",
        icon="fa-book",
        category="帮助",
        category_label="帮助",
    )
    appbuilder.add_link(
        "相关政策",
        href="/pages/policy",
        icon="fa-file-text",
        category="帮助",
    )
