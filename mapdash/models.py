"""GeoAlchemy2 mappings that mirror sql/. The schema lives in sql/: never create_all."""
from datetime import date, datetime

from flask_login import UserMixin
from geoalchemy2 import Geography, Geometry
from sqlalchemy import (
    REAL,
    BigInteger,
    Boolean,
    Computed,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# The largest value of sql/'s integer columns (serial ids, village numbers) and bigint columns
# (bigserial ids: cases, photos, closings, notifications). A larger number sent to PostgreSQL
# fails there ("out of range"): input is checked against these first (api/params.py).
INTEGER_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1

# The time limit of each staff step, in minutes (seed 001, streetlights).
DEFAULT_SLA_MINUTES = {
    "acknowledge": 5, "check": 5, "inform": 5, "print": 5,
    "set_status": 10, "work": 7 * 24 * 60, "report": 30,
}


class Base(DeclarativeBase):
    pass


class Organization(Base):
    __tablename__ = "organizations"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    name_th: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    # Deferred: a tambon's outline is thousands of points; the queries that need it use it in SQL.
    boundary = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False),
                             nullable=False, deferred=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # How citizens reach the office, its logo and emergency numbers (sql/016,
    # office/organization.py); emergency_numbers None: 1669, 191, 199.
    phone: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    office_hours: Mapped[str | None] = mapped_column(Text)
    emergency_numbers: Mapped[list | None] = mapped_column(JSONB)
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # a JPEG
    logo_sha256: Mapped[str | None] = mapped_column(Text)
    # For how many days after resolving a reporter may say "not fixed" (sql/020).
    not_fixed_days: Mapped[int] = mapped_column(Integer, default=14)
    # The crews' offline map pack: tiles up to this zoom, at most this many MB (sql/023).
    map_pack_max_zoom: Mapped[int] = mapped_column(SmallInteger, default=16)
    map_pack_max_mb: Mapped[int] = mapped_column(Integer, default=50)
    # For how many days crews' positions are kept (sql/022, field/positions.py).
    crew_position_days: Mapped[int] = mapped_column(Integer, default=30)
    # Within how many days an information request is answered (sql/032, cases/information.py).
    information_days: Mapped[int] = mapped_column(Integer, default=15)

    __table_args__ = (Index("organizations_boundary_gix", "boundary", postgresql_using="gist"),)


class Village(Base):
    __tablename__ = "villages"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    name_th: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)

    organization: Mapped[Organization] = relationship()

    __table_args__ = (UniqueConstraint("organization_id", "number"),
                      Index("villages_geom_gix", "geom", postgresql_using="gist"))


class Department(Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(Text)
    name_th: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    notify_email: Mapped[str | None] = mapped_column(Text)  # staff alerts, sql/008
    notify_line_group: Mapped[str | None] = mapped_column(Text)  # a LINE groupId, sql/008
    # The officer in charge (sql/016). Users refer to departments too: the cycle is broken
    # by adding this key last (use_alter).
    officer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True))

    officer: Mapped["User | None"] = relationship(foreign_keys=[officer_id])

    __table_args__ = (UniqueConstraint("organization_id", "code"),)


class Category(Base):
    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(Text)
    name_th: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    icon: Mapped[str] = mapped_column(Text, default="pin")
    color: Mapped[str] = mapped_column(Text, default="#2563eb")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    location_required: Mapped[bool] = mapped_column(Boolean, default=True)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    # for new cases; a step left out: DEFAULT_SLA_MINUTES (cases/time_limits.py)
    sla_minutes: Mapped[dict] = mapped_column(JSONB, default=dict)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    questions: Mapped[list] = mapped_column(JSONB, default=list)  # sql/007, see cases/questions.py
    # the officer who answers for the type, shown on its report form (sql/017)
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, default="report")  # vocabulary.CASE_KINDS (sql/028)
    # a registration type's rules (registrations/rules.py, sql/034); None for other kinds
    registration: Mapped[dict | None] = mapped_column(JSONB(none_as_null=True))

    department: Mapped[Department] = relationship()

    __table_args__ = (UniqueConstraint("organization_id", "code"),)


class TimeLimits(Base):
    """A set of step time limits some case started with, {step: minutes} for every step of
    DEFAULT_SLA_MINUTES; never changed, one row per distinct set (sql/017, cases/time_limits.py)."""
    __tablename__ = "time_limits"
    id: Mapped[int] = mapped_column(primary_key=True)
    minutes: Mapped[dict] = mapped_column(JSONB, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class User(UserMixin, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text, default="")
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # sql/016

    organization: Mapped[Organization] = relationship()
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive accounts
        return self.active


class Incident(Base):
    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tracking_code: Mapped[str] = mapped_column(Text, unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id", ondelete="SET NULL"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(Text, default="new")
    is_open: Mapped[bool] = mapped_column(Boolean, Computed("status IN ('new', 'accepted', "
                                          "'info_requested', 'assigned', 'in_progress')"))
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    description: Mapped[str] = mapped_column(Text, default="")
    reporter_name: Mapped[str | None] = mapped_column(Text)
    reporter_phone: Mapped[str | None] = mapped_column(Text)
    reporter_line_id: Mapped[str | None] = mapped_column(Text)
    reporter_email: Mapped[str | None] = mapped_column(Text)  # sql/006
    reporter_line_user: Mapped[str | None] = mapped_column(Text)  # LINE userId, sql/006
    channel: Mapped[str] = mapped_column(Text, default="web")
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    duplicate_of: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("incidents.id"))
    followers_count: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str | None] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # when the case entered its current step of the service clock; None: since updated_at
    step_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # when the current step must be done (None: no clock runs), set by a trigger (sql/037)
    due_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), server_default=FetchedValue(), server_onupdate=FetchedValue())
    evidence_review: Mapped[str | None] = mapped_column(Text)  # needs_review/accepted/sent_back
    attributes: Mapped[dict] = mapped_column(JSONB, default=dict)  # answers, sql/007
    address: Mapped[str | None] = mapped_column(Text)  # an Open311 address_string, sql/007
    # the time limits of its type when it was reported, which it keeps (sql/017)
    time_limits_id: Mapped[int] = mapped_column(ForeignKey("time_limits.id"))
    priority: Mapped[str] = mapped_column(Text, default="normal")  # vocabulary.PRIORITIES, sql/019
    reply_code_sha256: Mapped[str | None] = mapped_column(Text)  # cases/replies.py, sql/019
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)  # times reopened, sql/020
    # What staff search, normalized by PostgreSQL when the case is written (sql/018).
    search_text: Mapped[str] = mapped_column(Text, Computed(
        "search_normalize(coalesce(reporter_name, '') || ' ' || coalesce(search_phone("
        "reporter_phone), '') || ' ' || coalesce(reporter_line_id, '') || ' ' || "
        "coalesce(reporter_email, '') || ' ' || coalesce(address, '') || ' ' || description)"))

    organization: Mapped[Organization] = relationship()
    category: Mapped[Category] = relationship()
    time_limits: Mapped[TimeLimits] = relationship()
    village: Mapped[Village | None] = relationship()
    department: Mapped[Department] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assigned_to])
    original: Mapped["Incident | None"] = relationship(  # the case this one duplicates
        remote_side="Incident.id", foreign_keys=[duplicate_of])
    events: Mapped[list["IncidentEvent"]] = relationship(
        order_by="IncidentEvent.created_at, IncidentEvent.id", back_populates="incident")
    photos: Mapped[list["Photo"]] = relationship(order_by="Photo.id", back_populates="incident")

    # The partial indexes on open cases are SQL's alone (tests/test_models_schema.py).
    __table_args__ = (
        Index("incidents_org_status_village_idx", "organization_id", "status", "village_id"),
        Index("incidents_updated_idx", "organization_id", "updated_at"),
        Index("incidents_org_created_idx", "organization_id", created_at.desc(), id.desc()),
        Index("incidents_search_trgm_idx", "search_text", postgresql_using="gin",
              postgresql_ops={"search_text": "gin_trgm_ops"}),
        Index("incidents_org_status_created_idx", "organization_id", "status", created_at.desc()),
        Index("incidents_org_category_created_idx", "organization_id", "category_id",
              created_at.desc()),
    )


class IncidentEvent(Base):
    __tablename__ = "incident_events"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("incidents.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # what the action did besides its note: priority, organizations, agency (sql/019)
    detail: Mapped[dict | None] = mapped_column(JSONB)

    incident: Mapped[Incident] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("incident_events_incident_idx", "incident_id", "created_at"),)


class InformationRequest(Base):
    """How the citizen of an information request receives what they ask for (the case's
    description names it) and the last day of its answer's time limit (sql/032,
    cases/information.py)."""
    __tablename__ = "information_requests"
    incident_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    delivery: Mapped[str] = mapped_column(Text)  # vocabulary.INFORMATION_DELIVERIES
    postal_address: Mapped[str | None] = mapped_column(Text)
    certified: Mapped[bool] = mapped_column(Boolean, default=False)
    answer_due_on: Mapped[date] = mapped_column(Date)


class CaseRating(Base):
    """A reporter's 1-5 stars for a resolved case, once per case (sql/020)."""
    __tablename__ = "case_ratings"
    incident_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    stars: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CaseMilestones(Base):
    """When a case was first accepted and first assigned, written by a trigger on its events
    (sql/021): what the statistics measure the steps of seed 001 with."""
    __tablename__ = "case_milestones"
    incident_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    assigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatsChange(Base):
    """The last change to what the statistics count, per organization and month the changed
    cases were reported in (Thai time), written by triggers (sql/021); a month's latest is
    the latest of its slots (sql/041: each connection writes its own, none waits for another)."""
    __tablename__ = "stats_changes"
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default="0")
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class StatsCache(Base):
    """Figures of a period and filter as computed, valid while the period's latest change is
    `changed_at` (stats/figures.py, sql/021); the worker recounts them when out of date."""
    __tablename__ = "stats_cache"
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    filter_key: Mapped[str] = mapped_column(Text, primary_key=True)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    figures: Mapped[dict] = mapped_column(JSONB)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    first_month: Mapped[date] = mapped_column(Date)
    last_month: Mapped[date] = mapped_column(Date)
    # "overdue now" at computed_at, exact until overdue_until (None: no limit ahead) (sql/026)
    overdue: Mapped[dict] = mapped_column(JSONB)
    overdue_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    viewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # the organizations whose cases the figures count (a province: those within it) (sql/027)
    organization_ids: Mapped[list[int]] = mapped_column(ARRAY(Integer))


class CaseDocument(Base):
    """A private file of a case: sent by the citizen (staff_id None) or by staff; served only
    to the case's department or its citizen (sql/029, cases/documents.py)."""
    __tablename__ = "case_documents"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("incidents.id"))
    purpose: Mapped[str] = mapped_column(Text)       # the service's code, e.g. id_card, slip
    filename: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text, unique=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(Text)
    phash: Mapped[int | None] = mapped_column(BigInteger)  # images, field/evidence.py
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    incident: Mapped[Incident] = relationship()

    __table_args__ = (Index("case_documents_incident_idx", "incident_id"),
                      Index("case_documents_sha256_idx", "sha256"))


class Photo(Base):
    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("incidents.id"))
    kind: Mapped[str] = mapped_column(Text)
    path: Mapped[str] = mapped_column(Text)
    thumb_path: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(Text)  # of the clean copy: None while pending
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    phash: Mapped[int | None] = mapped_column(BigInteger)  # perceptual hash, see field/evidence.py
    captured_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # from EXIF
    closing_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("closings.id"))
    # sql/042: stored as uploaded under incoming/, not served, until the worker cleans it
    # (cases/photo_processing.py)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    process_attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    process_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    incident: Mapped[Incident] = relationship(back_populates="photos")

    __table_args__ = (Index("photos_incident_idx", "incident_id"),)


class Follower(Base):
    """A citizen who added +1 to a case; contact private like the reporter's."""
    __tablename__ = "incident_followers"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("incidents.id"))
    name: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    line_id: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)  # sql/006
    line_user: Mapped[str | None] = mapped_column(Text)  # LINE userId, sql/006
    idempotency_key: Mapped[str | None] = mapped_column(Text, unique=True)  # sql/003
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    # SHA-256 of the browser key a proposal's support came from (sql/031, cases/proposals.py)
    browser_key_sha256: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("incident_followers_incident_idx", "incident_id"),)


class ApiKey(Base):
    """An Open311 client's key (sql/007): only the SHA-256 of the key is stored."""
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    key_sha256: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    organization: Mapped[Organization] = relationship()


class Open311Submission(Base):
    """A filed Open311 POST, by its Idempotency-Key or its form's digest, so a copy sent again
    answers the same case (sql/013, integrations/open311/resends.py). Its unique indexes are
    partial: SQL's alone."""
    __tablename__ = "open311_submissions"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    idempotency_key: Mapped[str | None] = mapped_column(Text)
    form_sha256: Mapped[str] = mapped_column(Text)
    # NULL only inside the transaction that files the case
    incident_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("open311_submissions_incident_idx", "incident_id"),)


class Closing(Base):
    """A crew's closing of a case: result, note, where and when, photos, the evidence checks."""
    __tablename__ = "closings"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("incidents.id"))
    crew_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("incident_events.id"), unique=True)
    idempotency_key: Mapped[str] = mapped_column(Text, unique=True)
    result: Mapped[str] = mapped_column(Text)  # fixed / cannot_fix
    reason: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    position = mapped_column(Geography("POINT", srid=4326, spatial_index=False))
    position_accuracy_m: Mapped[float | None] = mapped_column(REAL)
    checks: Mapped[dict] = mapped_column(JSONB)
    needs_review: Mapped[bool] = mapped_column(Boolean)

    incident: Mapped[Incident] = relationship()
    crew: Mapped[User] = relationship()
    photos: Mapped[list[Photo]] = relationship(order_by="Photo.id")

    __table_args__ = (Index("closings_incident_idx", "incident_id", "id"),)


class LineWebhookEvent(Base):
    """A LINE webhook event already handled, so a redelivery is answered once (sql/009)."""
    __tablename__ = "line_webhook_events"
    webhook_event_id: Mapped[str] = mapped_column(Text, primary_key=True)
    event_type: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    replied_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reply_error: Mapped[str | None] = mapped_column(Text)


class Notification(Base):
    """One message to one recipient in the outbox (sql/008, mapdash/integrations/notify)."""
    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # A message is about a case, or (the set-password link, sql/016) about an account, or
    # (sql/031) an announcement pushed to LINE.
    incident_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("incidents.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    announcement_id: Mapped[int | None] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("incident_events.id"))
    kind: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)  # email / line
    recipient: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSONB)
    key: Mapped[str] = mapped_column(UUID(as_uuid=False), unique=True,
                                     server_default=func.gen_random_uuid())
    dedupe_key: Mapped[str] = mapped_column(Text, unique=True)
    status: Mapped[str] = mapped_column(Text, server_default="pending")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                      server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    incident: Mapped[Incident | None] = relationship()
    user: Mapped[User | None] = relationship()

    __table_args__ = (Index("notifications_incident_idx", "incident_id"),
                      Index("notifications_user_idx", "user_id"),
                      Index("notifications_announcement_idx", "announcement_id"))


class OverdueAlert(Base):
    """An overdue step of a case that staff were alerted about, once (sql/008)."""
    __tablename__ = "overdue_alerts"
    incident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("incidents.id"),
                                             primary_key=True)
    step_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    status: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SignInFailure(Base):
    """Sign-in attempts not (yet) successful of one e-mail or client address, both as keyed
    hashes, and the lock they earned (sql/012, office/sign_in_throttle.py)."""
    __tablename__ = "sign_in_failures"
    bucket: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("sign_in_failures_user_idx", "user_id"),
                      Index("sign_in_failures_last_idx", "last_failure_at"))


class StaffSession(Base):
    """A signed-in staff session (sql/012, office/staff_sessions.py): the cookie holds a
    random token, this row its SHA-256."""
    __tablename__ = "staff_sessions"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(Text, unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

    __table_args__ = (Index("staff_sessions_user_idx", "user_id"),)


class AdminChange(Base):
    """One change an administrator made in the browser (sql/015, office/changes.py)."""
    __tablename__ = "admin_changes"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_label: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    subject: Mapped[str] = mapped_column(Text)
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    subject_label: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)

    __table_args__ = (Index("admin_changes_org_idx", "organization_id", created_at.desc(),
                            id.desc()),)


class PasswordLink(Base):
    """A one-time link to choose a password (sql/016, office/password_links.py): only the
    SHA-256 of its secret is kept."""
    __tablename__ = "password_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_sha256: Mapped[str] = mapped_column(Text, unique=True)
    purpose: Mapped[str] = mapped_column(Text)  # invite / reset
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True),
                                                 server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (Index("password_links_user_idx", "user_id"),)


class ResponseTemplate(Base):
    """A canned public message for an action on a case (sql/017, office/response_templates.py);
    no category: for every type."""
    __tablename__ = "response_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    text_th: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    category: Mapped[Category | None] = relationship()

    __table_args__ = (Index("response_templates_org_action_idx", "organization_id", "action"),)


class VillageUpload(Base):
    """A checked village file waiting for the administrator's "confirm" (sql/017,
    office/village_uploads.py), found by the SHA-256 of its token."""
    __tablename__ = "village_uploads"
    token_sha256: Mapped[str] = mapped_column(Text, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(Text)
    features: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("village_uploads_created_idx", "created_at"),)


class CrewPosition(Base):
    """Where a crew member's phone was, as it sent it while sharing (sql/022,
    field/positions.py); deleted after the organization's crew_position_days."""
    __tablename__ = "crew_positions"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    position = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    accuracy_m: Mapped[float] = mapped_column(REAL)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # the phone's clock
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        UniqueConstraint("user_id", "recorded_at", name="crew_positions_user_recorded_key"),
        Index("crew_positions_org_recorded_idx", "organization_id", "recorded_at"))


class CrewLastPosition(Base):
    """Each crew member's newest position (by the phone's clock), kept at write time for the
    dispatcher's map and the assign list; stopped_at: when they stopped sharing."""
    __tablename__ = "crew_last_positions"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    position = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    accuracy_m: Mapped[float] = mapped_column(REAL)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stopped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("crew_last_positions_org_idx", "organization_id"),)


class Payment(Base):
    """What a payment case pays (sql/035, services/payments.py): amounts in satang."""
    __tablename__ = "payments"
    incident_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    pays_for: Mapped[str] = mapped_column(Text)  # vocabulary.PAYS_FOR
    amount_satang: Mapped[int] = mapped_column(BigInteger)
    transferred_on: Mapped[date] = mapped_column(Date)
    transfer_ref: Mapped[str | None] = mapped_column(Text)
    payer_name: Mapped[str] = mapped_column(Text)
    house_number: Mapped[str | None] = mapped_column(Text)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id", ondelete="SET NULL"))
    # the surveyed household of that number and village, if imported (sql/036)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"))
    months_from: Mapped[date | None] = mapped_column(Date)
    months_to: Mapped[date | None] = mapped_column(Date)
    tax_kind: Mapped[str | None] = mapped_column(Text)  # vocabulary.TAX_KINDS
    tax_year: Mapped[int | None] = mapped_column(Integer)  # Buddhist Era
    reused: Mapped[list] = mapped_column(JSONB, default=list)

    incident: Mapped[Incident] = relationship()
    village: Mapped[Village | None] = relationship()

    __table_args__ = (Index("payments_transfer_ref_idx", "organization_id", "transfer_ref"),)


class ReceiptCounter(Base):
    """The last receipt number of an organization's fiscal year (sql/035)."""
    __tablename__ = "receipt_counters"
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class Receipt(Base):
    """A receipt as issued, numbered per organization and fiscal year (sql/035)."""
    __tablename__ = "receipts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    amount_satang: Mapped[int] = mapped_column(BigInteger)
    payer_name: Mapped[str] = mapped_column(Text)
    pays_for_text: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    issued_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    document_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("case_documents.id"))
    voided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    void_reason: Mapped[str | None] = mapped_column(Text)

    organization: Mapped[Organization] = relationship()
    issuer: Mapped[User] = relationship(foreign_keys=[issued_by])

    # receipts_one_valid_idx (partial) is SQL's alone (tests/test_models_schema.py).
    __table_args__ = (UniqueConstraint("organization_id", "fiscal_year", "number"),
                      Index("receipts_incident_idx", "incident_id"))

    @property
    def label(self) -> str:
        """2570/000123: the fiscal year and the number within it."""
        return f"{self.fiscal_year}/{self.number:06d}"


class Proposal(Base):
    """A proposal for the local development plan: the record of a case of kind 'proposal'
    beside it, and the staff's outcome once decided (sql/031, cases/proposals.py)."""
    __tablename__ = "proposals"
    incident_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    beneficiaries: Mapped[str] = mapped_column(Text, default="")
    estimated_cost = mapped_column(Numeric(14, 2))
    outcome: Mapped[str | None] = mapped_column(Text)  # vocabulary.PROPOSAL_OUTCOMES
    plan_year: Mapped[int | None] = mapped_column(SmallInteger)  # Buddhist Era
    merged_into: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("incidents.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    incident: Mapped[Incident] = relationship(foreign_keys=[incident_id])
    original: Mapped[Incident | None] = relationship(foreign_keys=[merged_into])


class Announcement(Base):
    """News from the office (sql/031, mapdash/news): for the whole area or some villages,
    shown from `starts_on` to `ends_on` (Thai calendar days)."""
    __tablename__ = "announcements"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # a clean JPEG
    photo_thumb: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    photo_sha256: Mapped[str | None] = mapped_column(Text)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    line_pushed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    line_audience: Mapped[str | None] = mapped_column(Text)  # news.LINE_AUDIENCES

    organization: Mapped[Organization] = relationship()
    villages: Mapped[list[Village]] = relationship(secondary="announcement_villages",
                                                   order_by="Village.number")

    __table_args__ = (Index("announcements_org_starts_idx", "organization_id", starts_on.desc()),)


class AnnouncementVillage(Base):
    __tablename__ = "announcement_villages"
    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"),
                                            primary_key=True)


class LineFollower(Base):
    """Someone who added the LINE Official Account as a friend (the webhook, sql/031)."""
    __tablename__ = "line_followers"
    line_user: Mapped[str] = mapped_column(Text, primary_key=True)
    followed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    unfollowed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
class BookingResource(Base):
    """A counter, hall, meeting room or truck citizens book slots of (sql/033,
    services/bookings.py); `hours` is {"0": ["08:30", "16:30"], ...}, 0 = Monday, Thai time."""
    __tablename__ = "booking_resources"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name_th: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    slot_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)
    hours: Mapped[dict] = mapped_column(JSONB, server_default="{}")
    active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (UniqueConstraint("organization_id", "name_th"),)


class ClosedDay(Base):
    """A day nothing can be booked: a public holiday or closure the admin entered (sql/033)."""
    __tablename__ = "booking_closed_days"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    name_th: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text, server_default="")

    __table_args__ = (UniqueConstraint("organization_id", "day"),)


class CategoryResource(Base):
    """A resource an appointment-kind case type offers (sql/033)."""
    __tablename__ = "category_resources"
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"),
                                             primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("booking_resources.id", ondelete="CASCADE"),
                                             primary_key=True)


class BookingSlot(Base):
    """A slot someone booked: `booked` counts its bookings, kept within `capacity` by a CHECK
    (sql/033), the database's guard against two people taking the last place."""
    __tablename__ = "booking_slots"
    resource_id: Mapped[int] = mapped_column(ForeignKey("booking_resources.id", ondelete="CASCADE"),
                                             primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, server_default="0")


class Booking(Base):
    """The slot an appointment-kind case holds (sql/033); released_at: given back."""
    __tablename__ = "bookings"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    incident_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"),
                                             unique=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("booking_resources.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    incident: Mapped[Incident] = relationship()
    resource: Mapped[BookingResource] = relationship()

    __table_args__ = (Index("bookings_resource_starts_idx", "resource_id", "starts_at"),)


class Registration(Base):
    """The personal data of an application for a registration type (sql/034,
    registrations/applications.py), one row per case: read whole by the type's department and
    the admins only, masked in lists, never on a public page."""
    __tablename__ = "registrations"
    incident_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    full_name: Mapped[str] = mapped_column(Text)
    national_id: Mapped[str] = mapped_column(Text)  # 13 digits
    birth_date: Mapped[date] = mapped_column(Date)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id", ondelete="SET NULL"))
    address: Mapped[str] = mapped_column(Text)
    phone: Mapped[str] = mapped_column(Text)
    bank: Mapped[str] = mapped_column(Text)  # a code of registrations/applications.BANKS
    account_number: Mapped[str] = mapped_column(Text)
    account_name: Mapped[str] = mapped_column(Text)
    fiscal_year: Mapped[int] = mapped_column(Integer)  # Buddhist Era

    village: Mapped[Village | None] = relationship()

    __table_args__ = (Index("registrations_year_id_idx", "fiscal_year", "national_id"),)


class Household(Base):
    """A house of the organization's survey (seed 002, sql/036, mapdash/households/): its
    number within a village, its place, and the random key its QR sticker carries."""
    __tablename__ = "households"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id", ondelete="CASCADE"))
    house_number: Mapped[str] = mapped_column(Text)
    location = mapped_column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False)
    qr_key: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    village: Mapped[Village] = relationship()

    __table_args__ = (UniqueConstraint("village_id", "house_number"),
                      Index("households_org_idx", "organization_id", "village_id"),
                      Index("households_location_gix", "location", postgresql_using="gist"))


class HouseholdUpload(Base):
    """A checked household file waiting for the administrator's "confirm" (sql/036,
    households/uploads.py), found by the SHA-256 of its token."""
    __tablename__ = "household_uploads"
    token_sha256: Mapped[str] = mapped_column(Text, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(Text)
    households: Mapped[list] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (Index("household_uploads_created_idx", "created_at"),)
