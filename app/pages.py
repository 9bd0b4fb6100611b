"""操作手册 and 相关政策: help pages written for the platform's users."""

from flask import abort
from flask_appbuilder import BaseView, expose, has_access

PAGES = {
    "manual": ("操作手册", "pages/manual.html"),
    "policy": ("相关政策", "pages/policy.html"),
}


class PageView(BaseView):
    route_base = "/pages"

    @expose("/<name>")
    @has_access
    def show(self, name: str):
        if name not in PAGES:
            abort(404)
        title, template = PAGES[name]
        return self.render_template(template, title=title)
