"""Registration (立即注册), the profile (个人信息), the photo and the cascade data."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from flask import abort, current_app, flash, g, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from .extensions import db
from .forms import PhotoForm, ProfileForm, RegistrationForm, UnitCascadeForm
from .glossary import ApplicationStatus, RoleName, UnitLevel
from .models import Account, Application, Profile, Subspecialty, Title, TitleLevel, TitleSeries, Unit
from .hours import method_labels
from .ids import parse_id
from .profile_rules import check_profile
from .ruleset_store import current_ruleset
from .storage import UploadRejected, delete_stored, open_stored, store_photo

log = logging.getLogger(__name__)

CASCADE_LEVELS = (
    ("region", UnitLevel.REGION),
    ("province", UnitLevel.PROVINCE),
    ("city", UnitLevel.CITY),
    ("county", UnitLevel.COUNTY),
)
REQUIRED_UNIT_LEVELS = (UnitLevel.REGION, UnitLevel.PROVINCE, UnitLevel.CITY)
NONE_CHOICE = (None, "无")


def active_children(parent_id: int | None) -> list[Unit]:
    query = select(Unit).where(Unit.active.is_(True))
    if parent_id is None:
        query = query.where(Unit.parent_id.is_(None))
    else:
        query = query.where(Unit.parent_id == parent_id)
    return list(db.session.scalars(query.order_by(Unit.sort_order, Unit.id)))


def fill_unit_choices(form: UnitCascadeForm) -> None:
    """Offer at each level the children of the unit chosen one level up."""
    parent_id = None
    for index, (field_name, _level) in enumerate(CASCADE_LEVELS):
        field = getattr(form, field_name)
        if index == 0:
            units = active_children(None)
        elif parent_id is None:
            units = []
        else:
            units = active_children(parent_id)
        placeholder = NONE_CHOICE if field_name == "county" else (None, "请选择")
        field.choices = [placeholder, *[(unit.id, unit.name) for unit in units]]
        parent_id = field.data


def preset_unit_fields(form: UnitCascadeForm, unit: Unit | None) -> None:
    chain = unit.ancestors() if unit is not None else []
    for field_name, level in CASCADE_LEVELS:
        match = next((node for node in chain if node.level == level.value), None)
        getattr(form, field_name).data = match.id if match else None


def resolve_unit(form: UnitCascadeForm) -> Unit | None:
    """Check the cascade is one chain of active units and return its deepest unit.

    Region, province and work unit are required, because every province has a
    city-level 本部 node for its head-office staff. The county unit is optional.
    A field error is added at the first level that does not continue the chain.
    """
    parent: Unit | None = None
    chosen: Unit | None = None
    for field_name, level in CASCADE_LEVELS:
        field = getattr(form, field_name)
        if field.data is None:
            if level in REQUIRED_UNIT_LEVELS:
                # InputRequired may already have reported an empty value.
                if not field.errors:
                    field.errors.append("请选择" + field.label.text)
                return None
            break
        unit = db.session.get(Unit, field.data)
        parent_ok = unit is not None and unit.parent_id == (parent.id if parent else None)
        if unit is None or not unit.active or unit.level != level.value or not parent_ok:
            field.errors.append(f"所选{field.label.text}无效，请重新选择")
            return None
        parent = chosen = unit
    return chosen


class RegisterView(BaseView):
    """立即注册: self-registration of employees, without reCAPTCHA."""

    route_base = "/register"
    default_view = "register"

    @expose("/", methods=["GET", "POST"])
    def register(self):
        if g.user is not None and g.user.is_authenticated:
            return redirect(url_for("HomeView.index"))
        form = RegistrationForm()
        fill_unit_choices(form)
        if request.method == "POST":
            valid = form.validate()
            unit = resolve_unit(form)
            if valid and unit is not None and self._is_unique(form):
                if self._create_account(form, unit):
                    flash("注册成功，请使用身份证号或手机号登录", "success")
                    return redirect(url_for("PlatformAuthDBView.login"))
        return self.render_template("register.html", form=form)

    @staticmethod
    def _is_unique(form: RegistrationForm) -> bool:
        unique = True
        taken_id = db.session.scalar(
            select(Account.id).where(
                (Account.id_number == form.id_number.data)
                | (func.upper(Account.username) == form.id_number.data)
            )
        )
        if taken_id is not None:
            form.id_number.errors.append("该身份证号已注册，往年注册过的人员请直接登录")
            unique = False
        taken_mobile = db.session.scalar(
            select(Account.id).where(Account.mobile == form.mobile.data)
        )
        if taken_mobile is not None:
            form.mobile.errors.append("该手机号已被其他账号使用")
            unique = False
        return unique

    def _create_account(self, form: RegistrationForm, unit: Unit) -> bool:
        security = self.appbuilder.sm
        role = security.find_role(RoleName.EMPLOYEE)
        account = Account(
            first_name=form.name.data,
            last_name="",
            username=form.id_number.data,
            # FAB requires a unique e-mail; employees register without one.
            email=f"{form.id_number.data}@id-card.invalid",
            id_number=form.id_number.data,
            mobile=form.mobile.data,
            unit_id=unit.id,
            active=True,
            password=generate_password_hash(
                form.password.data,
                method=current_app.config["FAB_PASSWORD_HASH_METHOD"],
            ),
        )
        account.roles = [role] if role is not None else []
        db.session.add(account)
        try:
            db.session.commit()
        except IntegrityError:
            # Two registrations with the same number raced past the check.
            db.session.rollback()
            form.id_number.errors.append("该身份证号或手机号已注册")
            return False
        log.info("registered account id=%s unit=%s", account.id, unit.id)
        return True


class CatalogueApi(BaseView):
    """JSON choices for the cascades. The organisation tree and the catalogue
    are public reference data, needed before login on the registration form."""

    route_base = "/api/choices"

    @expose("/units")
    def units(self):
        parent = parse_id(request.args.get("parent"))
        if "parent" in request.args and parent is None:
            return jsonify([])
        return jsonify([{"id": u.id, "name": u.name} for u in active_children(parent)])

    @expose("/titles")
    def titles(self):
        query = select(Title).where(Title.active.is_(True))
        series_id = parse_id(request.args.get("series"))
        level_id = parse_id(request.args.get("level"))
        if series_id is not None:
            query = query.where(Title.series_id == series_id)
        if level_id is not None:
            query = query.where(Title.level_id == level_id)
        if request.args.get("target"):
            # A legacy title is no longer awarded, so it is never a target.
            query = query.where(Title.legacy.is_(False))
        titles = db.session.scalars(query.order_by(Title.series_id, Title.id))
        return jsonify([{"id": t.id, "name": t.name} for t in titles])

    @expose("/subspecialties")
    def subspecialties(self):
        series_id = parse_id(request.args.get("series"))
        if series_id is None:
            return jsonify([])
        rows = db.session.scalars(
            select(Subspecialty)
            .where(
                Subspecialty.series_id == series_id,
                Subspecialty.active.is_(True),
                Subspecialty.selectable.is_(True),
            )
            .order_by(Subspecialty.sort_order, Subspecialty.id)
        )
        return jsonify([{"id": s.id, "name": subspecialty_label(s)} for s in rows])


def subspecialty_label(subspecialty: Subspecialty) -> str:
    if subspecialty.parent is not None:
        return f"{subspecialty.parent.name} / {subspecialty.name}"
    return subspecialty.name


class ProfileView(BaseView):
    """个人信息 修改 / 保存."""

    route_base = "/profile"
    default_view = "edit"

    @expose("/edit", methods=["GET", "POST"])
    @has_access
    def edit(self):
        user = g.user
        profile = db.session.get(Profile, user.id) or Profile(user_id=user.id)
        form = ProfileForm()
        if request.method == "GET":
            self._preset(form, user, profile)
        fill_unit_choices(form)
        ruleset = current_ruleset()
        self._fill_catalogue_choices(form, ruleset)

        if request.method == "POST":
            valid = form.validate()
            unit = resolve_unit(form)
            checked = check_profile(form, db.session, ruleset) if valid else None
            if valid and unit is not None and checked is not None:
                if self._save(form, user, profile, unit, checked):
                    flash("个人信息已保存", "success")
                    return redirect(url_for("HomeView.index"))
        return self.render_template("profile_edit.html", form=form, user=user)

    @staticmethod
    def _preset(form: ProfileForm, user: Account, profile: Profile) -> None:
        form.mobile.data = user.mobile
        preset_unit_fields(form, user.unit)
        form.current_level.data = profile.current_level_id
        form.current_title.data = profile.current_title_id
        form.title_obtained_on.data = profile.title_obtained_on
        form.target_year.data = profile.target_year
        form.target_method.data = profile.target_method
        form.target_level.data = profile.target_level_id
        form.target_series.data = profile.target_series_id
        form.target_subspecialty.data = profile.target_subspecialty_id
        form.target_title.data = profile.target_title_id

    @staticmethod
    def _fill_catalogue_choices(form: ProfileForm, ruleset) -> None:
        placeholder = (None, "请选择")
        levels = db.session.scalars(
            select(TitleLevel).where(TitleLevel.active.is_(True)).order_by(TitleLevel.rank)
        ).all()
        series = db.session.scalars(
            select(TitleSeries)
            .where(TitleSeries.active.is_(True))
            .order_by(TitleSeries.sort_order, TitleSeries.id)
        ).all()
        level_choices = [placeholder, *[(level.id, level.name) for level in levels]]
        form.current_level.choices = level_choices
        form.target_level.choices = level_choices
        form.target_series.choices = [placeholder, *[(s.id, s.name) for s in series]]

        def titles_of(level_id, series_id=None):
            if level_id is None:
                return []
            query = select(Title).where(Title.level_id == level_id, Title.active.is_(True))
            if series_id is not None:
                query = query.where(Title.series_id == series_id, Title.legacy.is_(False))
            return [(t.id, t.name) for t in db.session.scalars(query.order_by(Title.id))]

        form.current_title.choices = [placeholder, *titles_of(form.current_level.data)]
        target_titles = (
            titles_of(form.target_level.data, form.target_series.data)
            if form.target_series.data
            else []
        )
        form.target_title.choices = [placeholder, *target_titles]
        subspecialties = []
        if form.target_series.data:
            rows = db.session.scalars(
                select(Subspecialty)
                .where(
                    Subspecialty.series_id == form.target_series.data,
                    Subspecialty.active.is_(True),
                    Subspecialty.selectable.is_(True),
                )
                .order_by(Subspecialty.sort_order, Subspecialty.id)
            )
            subspecialties = [(s.id, subspecialty_label(s)) for s in rows]
        form.target_subspecialty.choices = [(None, "无"), *subspecialties]
        this_year = dt.date.today().year
        form.target_year.choices = [placeholder] + [
            (year, str(year)) for year in range(this_year - 1, this_year + 2)
        ]
        form.target_method.choices = [("", "请选择")] + [
            (code, label) for code, label in method_labels(ruleset).items()
        ]

    @staticmethod
    def _save(form, user: Account, profile: Profile, unit: Unit, checked) -> bool:
        taken = db.session.scalar(
            select(Account.id).where(Account.mobile == form.mobile.data, Account.id != user.id)
        )
        if taken is not None:
            form.mobile.errors.append("该手机号已被其他账号使用")
            return False
        if unit.id != user.unit_id and _under_review(user.id):
            form.city.errors.append("申报审核期间不能修改所在单位，请在审核结束或申报退回后再修改")
            return False
        user.mobile = form.mobile.data
        user.unit_id = unit.id
        for name, value in checked.items():
            setattr(profile, name, value)
        db.session.add(profile)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            form.mobile.errors.append("该手机号已被其他账号使用")
            return False
        log.info("profile saved user=%s unit=%s", user.id, unit.id)
        return True


def _under_review(user_id: int) -> bool:
    """Tell whether the user has an application waiting at a reviewing unit."""
    waiting = (ApplicationStatus.PENDING.value, ApplicationStatus.REVIEWED.value)
    found = db.session.scalar(
        select(Application.id).where(
            Application.applicant_id == user_id, Application.status.in_(waiting)
        )
    )
    return found is not None


class PhotoView(BaseView):
    """The employee's photo: JPEG or PNG by content, scaled down on upload."""

    route_base = "/profile/photo"
    default_view = "show"

    @expose("/", methods=["GET"])
    @has_access
    def show(self):
        profile = db.session.get(Profile, g.user.id)
        if profile is None or not profile.photo_path:
            abort(404)
        root = Path(current_app.config["UPLOAD_FOLDER"])
        try:
            photo = open_stored(root, profile.photo_path)
        except (FileNotFoundError, ValueError) as error:
            # A file lost in a storage restore, or a stored path outside the
            # root, is served as not found rather than as a server error.
            log.warning("photo of user=%s not readable: %s", g.user.id, error)
            abort(404)
        return send_file(photo, mimetype="image/jpeg")

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        form = PhotoForm()
        if not form.validate():
            for message in form.photo.errors:
                flash(message, "danger")
            return redirect(url_for("HomeView.index"))
        root = Path(current_app.config["UPLOAD_FOLDER"])
        try:
            stored = store_photo(
                root,
                form.photo.data.stream,
                form.photo.data.filename or "photo",
                max_bytes=current_app.config["PHOTO_MAX_BYTES"],
            )
        except UploadRejected as error:
            flash(f"照片：{error.message}", "danger")
            return redirect(url_for("HomeView.index"))
        profile = db.session.get(Profile, g.user.id) or Profile(user_id=g.user.id)
        previous = profile.photo_path
        profile.photo_path = stored.relative_path
        db.session.add(profile)
        db.session.commit()
        if previous:
            delete_stored(root, previous)
        flash("照片已上传", "success")
        return redirect(url_for("HomeView.index"))
