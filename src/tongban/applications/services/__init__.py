"""Every write to an application. Keyword-only, typed; each owns its transaction.

Each transition locks the case row (``select_for_update``), re-checks the state
and the actor's access on the locked row, appends a :class:`StatusChange`, writes
an audit entry and queues notifications for after the commit. Two clerks acting
at once: the second waits for the lock, then finds the state moved on and gets
``application.invalid_transition`` (409), or ``application.stale`` when it sent
the version it saw.

Modules: ``intake`` (applicant, draft, checklist, one-time notice, accept/refuse,
bundle cases), ``review`` (parallel review, decision), ``delivery`` (ready,
delivered, closed, withdrawn), ``clock`` (suspension, extension, deadline
warnings), ``attachments``. Import from here.
"""

from tongban.applications.services._core import (
    CENTER_STAFF,
    MAX_EXTENSION_DAYS,
    DeadlineRun,
    MaterialTick,
    SupplementItem,
)
from tongban.applications.services.attachments import attachment_upload
from tongban.applications.services.clock import (
    application_extension_decide,
    application_request_extension,
    application_resume,
    application_suspend,
    applications_check_deadlines,
)
from tongban.applications.services.delivery import (
    WITHDRAWABLE,
    application_close,
    application_mark_delivered,
    application_mark_ready_for_delivery,
    application_withdraw,
)
from tongban.applications.services.intake import (
    applicant_find_or_register,
    applicant_for_intake,
    application_accept,
    application_create,
    application_create_and_accept,
    application_intake,
    application_refuse,
    application_request_supplement,
    application_set_contact_phone,
    application_submit,
    application_supplement_received,
    application_tick_materials,
    bundle_case_accept,
    bundle_case_request_supplement,
    bundle_case_supplement_received,
)
from tongban.applications.services.review import application_decide, review_give_opinion

__all__ = [
    "CENTER_STAFF",
    "MAX_EXTENSION_DAYS",
    "WITHDRAWABLE",
    "DeadlineRun",
    "MaterialTick",
    "SupplementItem",
    "applicant_find_or_register",
    "applicant_for_intake",
    "application_set_contact_phone",
    "application_accept",
    "application_close",
    "application_create",
    "application_create_and_accept",
    "application_intake",
    "application_decide",
    "application_extension_decide",
    "application_mark_delivered",
    "application_mark_ready_for_delivery",
    "application_refuse",
    "application_request_extension",
    "application_request_supplement",
    "application_resume",
    "application_submit",
    "application_supplement_received",
    "application_suspend",
    "application_tick_materials",
    "application_withdraw",
    "applications_check_deadlines",
    "attachment_upload",
    "bundle_case_accept",
    "bundle_case_request_supplement",
    "bundle_case_supplement_received",
    "review_give_opinion",
]
