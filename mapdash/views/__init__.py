"""Thin blueprints: parse the request, call a service, render."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    from mapdash.views import (
        admin,
        api,
        auth,
        citizen_api,
        crew,
        dispatch,
        documents,
        errors,
        open311,
        opendata,
        photos,
        public,
        vendor,
    )
    for module in (vendor, public, api, auth, dispatch, crew, citizen_api, photos, documents,
                   opendata, open311, admin):
        app.register_blueprint(module.bp)
    from mapdash.cases.questions import answer_rows
    app.add_template_global(answer_rows, "question_answers")
    from mapdash.cases.kinds import responsible
    app.add_template_global(responsible, "responsible_contact_of")
    from mapdash.views import line_webhook
    app.register_blueprint(line_webhook.bp)
    from mapdash.views import admin_notifications, admin_sign_in
    app.register_blueprint(admin_notifications.bp)
    app.register_blueprint(admin_sign_in.bp)
    from mapdash.office.organization import emergency_numbers
    from mapdash.views import (
        account,
        admin_bookings,
        admin_departments,
        admin_organization,
        admin_staff,
        admin_templates,
        admin_types,
        admin_villages,
        bookings,
        office_cases,
        registrations,
        staff_intake,
        stats,
    )
    for module in (admin_staff, admin_departments, admin_organization, account, admin_types,
                   admin_templates, admin_villages, office_cases, staff_intake, stats, bookings,
                   admin_bookings, registrations):
        app.register_blueprint(module.bp)
    from mapdash.views import admin_news, news, proposals
    for module in (proposals, news, admin_news):
        app.register_blueprint(module.bp)
    app.add_template_global(emergency_numbers, "emergency_numbers")
    from mapdash.views import payments
    app.register_blueprint(payments.bp)
    from mapdash.views import admin_households, households
    app.register_blueprint(households.bp)
    app.register_blueprint(admin_households.bp)
    # The household of a scanned sticker, for any citizen form (households/preset.py).
    app.add_template_global(households.preset_for_page, "preset_household")
    from mapdash.households.preset import household_label
    from mapdash.i18n import village_label
    app.add_template_global(household_label, "household_label")
    app.add_template_global(village_label, "village_label")
    errors.init_app(app)
