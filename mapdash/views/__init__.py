"""Thin blueprints: parse the request, call a service, render."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from . import api, auth, citizen_api, crew, dispatch, errors, opendata, photos, public, vendor
    for module in (vendor, public, api, auth, dispatch, crew, citizen_api, photos, opendata):
        app.register_blueprint(module.bp)
    from . import line_webhook
    app.register_blueprint(line_webhook.bp)
    from . import admin_notifications
    app.register_blueprint(admin_notifications.bp)
    errors.init_app(app)
