"""gunicorn settings for `make serve`; every value can be set from the environment."""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Workers are recycled now and then so a slow leak cannot grow without bound. Not often:
# a new worker costs about a second of CPU (the app, then its PDF render process warming
# up), and at 2,000 requests that was half the CPU of a busy server (`make bench` served
# /healthz at 1,100 requests/s with recycling and 2,100 without).
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
# Behind a reverse proxy, trust its X-Forwarded-* headers only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Buyer tokens live in URLs: keep them out of the access log.
logger_class = "questionnaire.web.serving.RedactingLogger"
# The app's own log lines (a broken questions.yaml, a failed render) get a time, a level
# and the logger's name, like gunicorn's: one format for every line of the log.
logconfig_dict = {
    "root": {"level": "INFO", "handlers": ["error_console"]},
    "loggers": {  # gunicorn's own, as by default but not passed on to root a second time
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
    "formatters": {
        "generic": {
            "format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s",
            "datefmt": "[%Y-%m-%d %H:%M:%S %z]",
            "class": "logging.Formatter",
        }
    },
}


def on_starting(server):
    """Say so when the app can be reached from other machines with no proxy in front."""
    from questionnaire.web.serving import proxy_warning

    try:
        hops = int(os.environ.get("TRUSTED_PROXY_HOPS") or 0)
    except ValueError:
        hops = 0  # the app itself refuses to start with a bad value, and says why
    warning = proxy_warning(server.cfg.bind, hops)
    if warning:
        server.log.warning(warning)


def post_worker_init(worker):
    """Once a worker has loaded the app: start its PDF render process now (none with a
    report queue), so the first report does not wait for WeasyPrint to load, and move
    everything loaded so far (the bank, templates, SQLAlchemy's tables) out of the garbage
    collector's sight, so its full collections stop rescanning ~100,000 objects that live
    as long as the worker."""
    import gc

    from questionnaire import services

    services.reports(worker.wsgi).warm()
    gc.freeze()
