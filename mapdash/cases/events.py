"""The named signal a service sends when it has written a case event people may hear about.

intake.create_incident sends it for a new report and workflow.perform for every staff or
citizen action, in the transaction of the change; the outbox (integrations/notify/outbox.py)
is connected to it by create_app and writes the messages before that transaction commits.
Events written without it (the demo's back-dated history, the synthetic benchmark data, a
"+1", an app's photo link) are deliberately silent.
"""
from blinker import Namespace

_signals = Namespace()

# sender: the SQLAlchemy session of the transaction; keyword: event (an IncidentEvent)
event_recorded = _signals.signal("case-event-recorded")
