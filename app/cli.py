"""Flask CLI commands: load reference data, seed roles and demo accounts.

`flask --app run platform setup` runs them all in order on a migrated
database; each step is idempotent, so running it again changes nothing.
"""

from __future__ import annotations

import logging

import click
from flask import Flask
from flask.cli import with_appcontext

from . import catalog_data, demo, demo_applications, roles
from .extensions import db
from .models import Subspecialty, Title, TitleLevel, TitleSeries, Unit

log = logging.getLogger(__name__)


def load_units(path: str | None = None) -> int:
    """Insert or update the organisation tree from the data file; return the count."""
    nodes = catalog_data.load_units(path)
    problems = catalog_data.validate_units(nodes)
    if problems:
        raise click.ClickException("单位数据无效：\n" + "\n".join(problems))
    by_code = {unit.code: unit for unit in db.session.scalars(db.select(Unit))}
    for order, node in enumerate(nodes):
        unit = by_code.get(node.code)
        parent = by_code.get(node.parent_code) if node.parent_code else None
        if unit is None:
            unit = Unit(code=node.code, path="")
            db.session.add(unit)
            by_code[node.code] = unit
        unit.name = node.name
        unit.level = node.level
        unit.kind = node.kind
        unit.parent = parent
        unit.sort_order = order
        db.session.flush()
        unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.commit()
    log.info("loaded %d units", len(nodes))
    return len(nodes)


def load_titles(path: str | None = None) -> int:
    """Insert or update levels, series, titles and sub-specialties; return the title count."""
    catalog = catalog_data.load_titles(path)
    problems = catalog_data.validate_titles(catalog)
    if problems:
        raise click.ClickException("职称数据无效：\n" + "\n".join(problems))

    levels = {level.code: level for level in db.session.scalars(db.select(TitleLevel))}
    for item in catalog.levels:
        level = levels.get(item.code) or TitleLevel(code=item.code)
        level.name, level.rank = item.name, item.rank
        db.session.add(level)
        levels[item.code] = level
    db.session.flush()

    series_rows = {s.code: s for s in db.session.scalars(db.select(TitleSeries))}
    titles = {t.code: t for t in db.session.scalars(db.select(Title))}
    specialties = {s.code: s for s in db.session.scalars(db.select(Subspecialty))}
    count = 0
    for order, item in enumerate(catalog.series):
        series = series_rows.get(item.code) or TitleSeries(code=item.code)
        series.name, series.sort_order = item.name, order
        db.session.add(series)
        db.session.flush()
        for title_item in item.titles:
            title = titles.get(title_item.code) or Title(code=title_item.code)
            title.name = title_item.name
            title.series_id = series.id
            title.level_id = levels[title_item.level].id
            title.legacy = title_item.legacy
            db.session.add(title)
            count += 1
        for position, spec in enumerate(item.specialties):
            row = specialties.get(spec.code) or Subspecialty(code=spec.code)
            row.name = spec.name
            row.series_id = series.id
            row.parent = specialties.get(spec.parent_code) if spec.parent_code else None
            row.selectable = not spec.has_children
            row.sort_order = position
            db.session.add(row)
            specialties[spec.code] = row
        db.session.flush()
    db.session.commit()
    log.info("loaded %d titles in %d series", count, len(catalog.series))
    return count


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
        """Load units and titles, seed roles, and (by default) the demo accounts."""
        click.echo(f"已导入 {load_units()} 个单位")
        click.echo(f"已导入 {load_titles()} 个职称")
        roles.seed_roles()
        click.echo("角色与权限已更新")
        if with_demo:
            for line in demo.create_demo_accounts():
                click.echo(line)
            for line in demo_applications.create_demo_applications(demo.DEMO_EMPLOYEE_ID):
                click.echo(line)
