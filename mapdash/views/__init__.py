"""Thin blueprints: parse the request, call a service, render."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import api, auth, citizen_api, crew, dispatch, errors, opendata, photos, public, vendor
    from . import admin, open311
    for module in (vendor, public, api, auth, dispatch, crew, citizen_api, photos, opendata,
                   open311, admin):
        app.register_blueprint(module.bp)
    from ..questions import answer_rows
    app.add_template_global(answer_rows, "question_answers")
    from . import line_webhook
    app.register_blueprint(line_webhook.bp)
    from . import admin_notifications
    app.register_blueprint(admin_notifications.bp)
    errors.init_app(app)
