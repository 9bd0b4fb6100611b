"""Flask CLI commands: load reference data, seed roles and demo accounts.

`flask --app run platform setup` runs them all in order on a migrated
database; each step is idempotent, so running it again changes nothing.
"""

from __future__ import annotations

import logging

import click
from flask import Flask
from flask.cli import with_appcontext

from . import catalog_data, demo, demo_applications, help_pages, roles, ruleset_store
from .extensions import db
from .models import Subspecialty, Title, TitleLevel, TitleSeries, Unit

log = logging.getLogger(__name__)


def load_units(path: str | None = None) -> int:
    """Insert the units of the data file that the database lacks; return the count.

    Units already present (by code) are left as they are, because
    administrators rename, move and deactivate them on screen and a later
    setup must not undo that.
    """
    nodes = catalog_data.load_units(path)
    problems = catalog_data.validate_units(nodes)
    if problems:
        raise click.ClickException("单位数据无效：\n" + "\n".join(problems))
    by_code = {unit.code: unit for unit in db.session.scalars(db.select(Unit))}
    added = 0
    for order, node in enumerate(nodes):
        if node.code in by_code:
            continue
        parent = by_code.get(node.parent_code) if node.parent_code else None
        unit = Unit(
            code=node.code,
            name=node.name,
            level=node.level,
            kind=node.kind,
            parent=parent,
            sort_order=order,
            path="",
        )
        db.session.add(unit)
        db.session.flush()
        unit.path = f"{parent.path if parent else '/'}{unit.id}/"
        by_code[node.code] = unit
        added += 1
    db.session.commit()
    log.info("loaded %d new units of %d in the data file", added, len(nodes))
    return len(nodes)


def load_titles(path: str | None = None) -> int:
    """Insert the levels, series, titles and sub-specialties the database lacks.

    Rows already present (by code) are left as they are, so that changes made
    on the catalogue screens survive a later setup. Returns the title count
    of the data file.
    """
    catalog = catalog_data.load_titles(path)
    problems = catalog_data.validate_titles(catalog)
    if problems:
        raise click.ClickException("职称数据无效：\n" + "\n".join(problems))

    levels = {level.code: level for level in db.session.scalars(db.select(TitleLevel))}
    for item in catalog.levels:
        if item.code not in levels:
            levels[item.code] = TitleLevel(code=item.code, name=item.name, rank=item.rank)
            db.session.add(levels[item.code])
    db.session.flush()

    series_rows = {s.code: s for s in db.session.scalars(db.select(TitleSeries))}
    titles = set(db.session.scalars(db.select(Title.code)))
    specialties = {s.code: s for s in db.session.scalars(db.select(Subspecialty))}
    count = 0
    for order, item in enumerate(catalog.series):
        series = series_rows.get(item.code)
        if series is None:
            series = TitleSeries(code=item.code, name=item.name, sort_order=order)
            db.session.add(series)
            db.session.flush()
        for title_item in item.titles:
            count += 1
            if title_item.code in titles:
                continue
            db.session.add(
                Title(
                    code=title_item.code,
                    name=title_item.name,
                    series_id=series.id,
                    level_id=levels[title_item.level].id,
                    legacy=title_item.legacy,
                )
            )
        for position, spec in enumerate(item.specialties):
            if spec.code in specialties:
                continue
            row = Subspecialty(
                code=spec.code,
                name=spec.name,
                series_id=series.id,
                parent=specialties.get(spec.parent_code) if spec.parent_code else None,
                selectable=not spec.has_children,
                sort_order=position,
            )
            db.session.add(row)
            specialties[spec.code] = row
        db.session.flush()
    db.session.commit()
    log.info("loaded titles: %d in %d series", count, len(catalog.series))
    return count


# Ten national campaigns: 2,000,000 accounts and 20,000,000 activities. The
# generator plans every account in memory first, so a far larger scale would
# exhaust the memory before it wrote anything useful.
MAX_DATASET_SCALE = 10.0


def _finite_scale(context, parameter, value: float) -> float:
    # FloatRange lets NaN through, because every comparison with it is false.
    if value != value:
        raise click.BadParameter(f"必须是 0 到 {MAX_DATASET_SCALE:g} 之间的数")
    return value


def register(app: Flask) -> None:
    @app.cli.group("platform")
    def platform() -> None:
        """Set up the platform's reference data, roles and demo accounts."""

    @platform.command("load-units")
    @click.option("--path", default=None, help="JSON file of the organisation tree.")
    @with_appcontext
    def load_units_command(path: str | None) -> None:
        click.echo(f"已导入 {load_units(path)} 个单位")

    @platform.command("load-titles")
    @click.option("--path", default=None, help="JSON file of the title catalogue.")
    @with_appcontext
    def load_titles_command(path: str | None) -> None:
        click.echo(f"已导入 {load_titles(path)} 个职称")

    @platform.command("seed-roles")
    @with_appcontext
    def seed_roles_command() -> None:
        roles.seed_roles()
        click.echo("角色与权限已更新")

    @platform.command("demo")
    @with_appcontext
    def demo_command() -> None:
        """Create one demo account per role and print the credentials."""
        for line in demo.create_demo_accounts():
            click.echo(line)

    @platform.command("setup")
    @click.option("--demo/--no-demo", "with_demo", default=True)
    @with_appcontext
    def setup_command(with_demo: bool) -> None:
        """Load reference data, seed roles, rule sets and help pages, and by default demo accounts."""
        click.echo(f"已导入 {load_units()} 个单位")
        click.echo(f"已导入 {load_titles()} 个职称")
        roles.seed_roles()
        click.echo("角色与权限已更新")
        # Years and pages already stored are left alone, so edits made on
        # screen survive a second setup.
        for label in ruleset_store.seed_default_rulesets():
            click.echo(f"已导入规则集 {label}")
        for slug in help_pages.seed_help_pages():
            click.echo(f"已导入帮助页面 {help_pages.PAGE_TITLES[slug]}")
        if with_demo:
            for line in demo.create_demo_accounts():
                click.echo(line)
            for line in demo_applications.create_demo_applications(demo.DEMO_EMPLOYEE_ID):
                click.echo(line)

    @platform.command("generate-national")
    @click.option(
        "--seed",
        default=2026,
        show_default=True,
        help="Random seed. The same seed on the same day gives the same data.",
    )
    @click.option(
        "--scale",
        default=1.0,
        show_default=True,
        type=click.FloatRange(min=0, max=MAX_DATASET_SCALE, min_open=True),
        callback=_finite_scale,
        help=(
            "Multiplies the row counts (200,000 accounts, 80,000 applications at 1); "
            f"at most {MAX_DATASET_SCALE:g}."
        ),
    )
    @with_appcontext
    def generate_national_command(seed: int, scale: float) -> None:
        """Generate the national dataset into an empty database migrated to head."""
        # Imported here because national_dataset imports this module.
        from .national_dataset import DatasetNotEmpty, DatasetNotMigrated, generate

        try:
            summary = generate(seed, scale, progress=click.echo)
        except (DatasetNotEmpty, DatasetNotMigrated) as error:
            raise click.ClickException(error.message) from None
        for line in summary.lines():
            click.echo(line)
