"""The office: open cases of the organization (an officer: of their department)."""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import db
from ..auth import role_required
from ..models import Incident

bp = Blueprint("dispatch", __name__, url_prefix="/dispatch")


@bp.get("/")
@role_required("admin", "dispatcher", "officer")
def index():
    query = (select(Incident).where(Incident.organization_id == current_user.organization_id,
                                    Incident.is_open)
             .options(joinedload(Incident.category), joinedload(Incident.village),
                      joinedload(Incident.department))
             .order_by(Incident.created_at.desc()).limit(500))
    if current_user.role == "officer":
        query = query.where(Incident.department_id == current_user.department_id)
    return render_template("dispatch/index.html", incidents=db.session().scalars(query).all())
