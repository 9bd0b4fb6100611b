"""操作手册 and 相关政策: help pages written for the platform's users.

The text is Markdown that administrators edit on the 帮助页面 screen.
`app.help_pages` stores and sanitises it.
"""

from flask import abort
from flask_appbuilder import BaseView, expose, has_access

from . import help_pages


class PageView(BaseView):
    route_base = "/pages"

    @expose("/<name>")
    @has_access
    def show(self, name: str):
        if name not in help_pages.PAGE_TITLES:
            abort(404)
        title, content = help_pages.page_content(name)
        return self.render_template(
            "pages/help_page.html", title=title, content=content
        )
