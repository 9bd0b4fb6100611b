"""Gunicorn settings for `make serve`; each one can be changed by environment.

Several worker processes share nothing but the database, the Redis server that
counts failed logins and the upload folder, so any worker can serve any
request. Logs of the server, of each request and of the app go to standard
output, one line each, with the request id.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
# Threads let a worker go on serving while one request waits on a slow
# client or upload. The app keeps no state between requests outside the
# database, so threads share nothing else.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Restarting each worker now and then bounds what a slow leak can cost.
max_requests = 2000
max_requests_jitter = 200
# The app is built in each worker after the fork, so no database connection
# is ever shared between processes.
preload_app = False
# gunicorn believes no forwarded header itself: the app's ProxyFix decides
# how many proxies to believe (PROXY_FIX_HOPS), so 0 means none at all.
forwarded_allow_ips = ""
secure_scheme_headers: dict[str, str] = {}

# One control socket per user would be shared by every server on the host;
# the platform does not use gunicornc.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# %(M)s is the duration in milliseconds; %(p)s the worker's process id.
access_log_format = (
    'access %(h)s "%(r)s" %(s)s %(B)s %(M)sms pid=%(p)s '
    "request_id=%({x-request-id}o)s"
)

_LINE = "%(asctime)s %(levelname)s [%(process)d] %(name)s request_id=%(request_id)s %(message)s"

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "app.serving.RequestIdFilter"}},
    "formatters": {
        "line": {"format": _LINE},
        "access": {"format": "%(asctime)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "line",
            "filters": ["request_id"],
        },
        "access": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "access",
        },
    },
    "root": {"level": loglevel.upper(), "handlers": ["stdout"]},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        # FAB lists every view it registers at INFO when each worker starts.
        "flask_appbuilder": {"level": "WARNING"},
    },
}
