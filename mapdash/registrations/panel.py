"""The registration section of the office's case panel: the applicant's data whole and
their documents, for the type's department and the admins; for other staff who see the case
(a dispatcher), only that it is theirs to see."""
from dataclasses import dataclass

from sqlalchemy.orm import Session

from mapdash.cases import documents
from mapdash.i18n import current_language
from mapdash.models import CaseDocument, Incident, Registration, User
from mapdash.registrations import rules
from mapdash.registrations.applications import bank_name


@dataclass(frozen=True)
class Section:
    readable: bool
    registration: Registration | None = None
    national_id: str = ""
    birth_date: str = ""
    bank: str = ""
    age_at_year_end: int | None = None
    required: tuple[str, ...] = ()
    documents: tuple[CaseDocument, ...] = ()

    @property
    def missing(self) -> list[str]:
        """Required documents of which none was sent: what to ask for."""
        sent = {document.purpose for document in self.documents}
        return [purpose for purpose in self.required if purpose not in sent]


def section(session: Session, user: User, incident: Incident) -> Section | None:
    """None for a case of another kind."""
    if incident.category.kind != "registration":
        return None
    if not documents.staff_may_read(user, incident):
        return Section(readable=False)
    registration = session.get(Registration, incident.id)
    if registration is None:  # entered some other way (staff intake): only the documents
        return Section(readable=True, documents=tuple(documents.documents_of(session,
                                                                             incident.id)))
    return Section(
        readable=True, registration=registration,
        national_id=rules.format_national_id(registration.national_id),
        birth_date=rules.thai_date(registration.birth_date),
        bank=bank_name(registration.bank, current_language()),
        age_at_year_end=rules.age_on(registration.birth_date,
                                     rules.fiscal_year_end(registration.fiscal_year)),
        required=rules.Rules.of(incident.category.registration).documents,
        documents=tuple(documents.documents_of(session, incident.id)))
