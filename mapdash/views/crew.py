"""Field crews: the cases assigned to me."""
from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import db
from ..auth import role_required
from ..models import Incident

bp = Blueprint("crew", __name__, url_prefix="/crew")


@bp.get("/")
@role_required("crew")
def index():
    incidents = db.session().scalars(
        select(Incident).where(Incident.assigned_to == current_user.id, Incident.is_open)
        .options(joinedload(Incident.category), joinedload(Incident.village))
        .order_by(Incident.created_at)).all()
    return render_template("crew/index.html", incidents=incidents)
