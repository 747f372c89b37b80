"""The citizens' side."""
from flask import Blueprint, current_app, render_template, request
from sqlalchemy import select

from .. import db, geo, maps
from ..models import Category
from ..orgs import find_organization

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    session = db.session()
    org = find_organization(session, request.args.get("org") or current_app.config["DEFAULT_ORG"])
    if org is None:
        return render_template("public/home.html", org=None, categories=[], village_map=None)
    categories = session.scalars(select(Category).where(
        Category.organization_id == org.id, Category.active).order_by(Category.sort_order)).all()
    village_map = maps.embed(maps.build_map(geo.organization_center(session, org.id), zoom=12))
    return render_template("public/home.html", org=org, categories=categories,
                           village_map=village_map, bounds=geo.organization_bounds(session, org.id))
