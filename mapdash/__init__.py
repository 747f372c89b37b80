"""mapdash: citizens' reports of local problems, on a map, for Thai local administrations."""
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from mapdash import assets, config, db, i18n, security, transfer, vocabulary
from mapdash.api.params import ID_CONVERTERS
from mapdash.config import PROJECT_ROOT
from mapdash.extensions import csrf
from mapdash.field.evidence import REVIEW_LABELS
from mapdash.field.fieldwork import REASON_LABELS, RESULT_LABELS
from mapdash.integrations.notify import outbox
from mapdash.office import auth


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"),
                static_folder=str(PROJECT_ROOT / "static"))
    app.config.update(config.load(overrides))
    if app.config["PROXY_COUNT"]:
        proxies = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    db.init_app(app)
    outbox.init_app(app)  # writes the messages of the events services record
    csrf.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
    security.init_app(app)  # CSP, framing, Referrer-, Permissions-Policy, HSTS
    # The vocabulary the templates use (labels render in the reader's language).
    app.jinja_env.globals.update(
        OFFICE_ROLES=vocabulary.OFFICE_ROLES, STATS_ROLES=vocabulary.STATS_ROLES,
        STATUSES=vocabulary.STATUSES,
        OPEN_STATUSES=vocabulary.OPEN_STATUSES, ANY_OPEN=vocabulary.ANY_OPEN, RESULT_LABELS=RESULT_LABELS,
        REASON_LABELS=REASON_LABELS, REVIEW_LABELS=REVIEW_LABELS,
        UNDER_REVIEW_LABEL=vocabulary.UNDER_REVIEW_LABEL, CASE_KINDS=vocabulary.CASE_KINDS,
        CASE_KIND_LABELS=vocabulary.CASE_KIND_LABELS,
        INFORMATION_DELIVERY_LABELS=vocabulary.INFORMATION_DELIVERY_LABELS)
    app.jinja_env.globals.update(REGISTRATION_DOCUMENTS=vocabulary.REGISTRATION_DOCUMENTS,
                                 REGISTRATION_DOCUMENT_LABELS=vocabulary.REGISTRATION_DOCUMENT_LABELS)
    app.jinja_env.filters["status_label"] = lambda status: vocabulary.STATUS_LABELS[status]

    # Before the routes: every id in a URL is range-checked by its column's converter.
    app.url_map.converters.update(ID_CONVERTERS)
    from mapdash.views import register_blueprints
    register_blueprints(app)
    assets.init_app(app)  # static files: fingerprinted addresses, compressed once
    transfer.init_app(app)  # compression, ETags and 304s: after the routes, it reads them
    from mapdash.cli import register_commands
    register_commands(app)
    return app
