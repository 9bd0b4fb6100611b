"""Chinese error pages, and the refusal of unknown FAB list actions."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, abort, flash, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MESSAGES = {
    400: "请求无效，请返回上一页重试。",
    403: "没有权限访问该页面。",
    404: "页面或记录不存在，或不在您的查看范围内。",
    405: "不支持该操作方式。",
    413: "上传的文件过大。",
    500: "服务器内部错误，请稍后重试；如问题持续，请联系管理员。",
}


def _same_site_referrer() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def register(app: Flask) -> None:
    def render(code: int, message: str):
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return render(400, "页面已过期或缺少安全令牌（CSRF），请刷新页面后重新提交。")

    @app.errorhandler(413)
    def too_large(error: HTTPException):
        limit_mb = app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
        message = f"上传的内容超过 {limit_mb}MB，请压缩或拆分后重新上传。"
        back = _same_site_referrer()
        if back:
            flash(message, "danger")
            return redirect(back)
        return render(413, message)

    for code in (400, 403, 404, 405):

        @app.errorhandler(code)
        def http_error(error: HTTPException, code=code):
            return render(code, MESSAGES[code])

    @app.errorhandler(500)
    def server_error(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render(500, MESSAGES[500])

    @app.before_request
    def reject_unknown_actions():
        """Reject with 400 a list action that the view does not define.

        FAB 5.3 looks the name up without checking it and fails with an
        AttributeError (a 500) on a name it does not know.
        """
        endpoint = request.endpoint or ""
        view_name, _, method = endpoint.rpartition(".")
        if method not in ("action", "action_post"):
            return None
        if method == "action":
            name = (request.view_args or {}).get("name")
        else:
            name = request.form.get("action")
        view = next(
            (v for v in app.appbuilder.baseviews if v.__class__.__name__ == view_name),
            None,
        )
        # Only FAB's model views have these generated routes; the platform's
        # own views may use the same method names for other purposes.
        if view is None or not hasattr(view, "datamodel"):
            return None
        actions = getattr(view, "actions", None) or {}
        if not name or name not in actions:
            log.info("unknown list action %r on %s", name, view_name)
            abort(400)
        return None
