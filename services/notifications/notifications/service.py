"""The notifications service's entrypoints: events in, emails and feed out."""

from __future__ import annotations

from typing import Any

from nameko.web.handlers import http
from wecare_common.consumer import handle_event
from wecare_common.db import Database
from wecare_common.health import probe_response, readiness
from wecare_common.rpc import rpc
from wecare_common.schemas import PageSchema, load

from notifications import domain
from notifications.mailer import MailerProvider
from notifications.models import Base
from notifications.schemas import (
    CompanyCreated,
    CreditsGranted,
    EmployeeEnrolled,
    ProviderProposed,
    TopupSucceeded,
)


class NotificationsService:
    name = "notifications"

    db = Database("notifications", Base.metadata)
    mailer = MailerProvider()

    @rpc
    def health(self) -> dict[str, Any]:
        return readiness(self.name, self.db)

    @http("GET", "/health")
    def http_health(self, request: Any) -> tuple[int, dict[str, str], str]:
        return probe_response(readiness(self.name, self.db))

    @handle_event("company.created")
    def on_company_created(self, event: dict[str, Any]) -> None:
        company = CompanyCreated().load(event["payload"])
        hr = company["hr_manager"]
        domain.remember(self.db, f"company:{company['id']}", email=hr["email"],
                        name=f"{hr['first_name']} {hr['last_name']}", language="it",
                        company_id=company["id"])
        self.db.commit()

    @handle_event("employee.enrolled")
    def on_employee_enrolled(self, event: dict[str, Any]) -> None:
        e = EmployeeEnrolled().load(event["payload"])
        key = f"employee:{e['id']}"
        domain.remember(self.db, key, email=e["email"], name=e["first_name"],
                        language=e["language"], company_id=event["company_id"])
        domain.queue_message(self.db, event["id"], key, "welcome", {"company_name": None})
        self._deliver(event["id"])

    @handle_event("credits.granted")
    def on_credits_granted(self, event: dict[str, Any]) -> None:
        grant = CreditsGranted().load(event["payload"])
        context = {"amount_cents": grant["amount_cents"], "plan_name": grant["plan_name"],
                   "valid_until": grant["valid_until"]}
        for employee_id in grant["employee_ids"]:
            domain.queue_message(self.db, event["id"], f"employee:{employee_id}",
                                 "credits_granted", context)
        self._deliver(event["id"])

    @handle_event("topup.succeeded")
    def on_topup_succeeded(self, event: dict[str, Any]) -> None:
        topup = TopupSucceeded().load(event["payload"])
        domain.queue_message(self.db, event["id"], f"company:{event['company_id']}",
                             "topup_succeeded", topup)
        self._deliver(event["id"])

    @handle_event("provider.proposed")
    def on_provider_proposed(self, event: dict[str, Any]) -> None:
        proposal = ProviderProposed().load(event["payload"])
        key = f"proposal:{proposal['id']}"
        domain.remember(self.db, key, email=proposal["email"], name=proposal["name"],
                        language="it", company_id=None)
        domain.queue_message(self.db, event["id"], key, "invitation",
                             {"category": proposal["category"]})
        self._deliver(event["id"])

    def _deliver(self, event_id: str) -> None:
        self.db.commit()
        domain.deliver_pending(self.db, event_id, self.mailer.send)

    @rpc
    def feed(self, recipients: list[str], **page: Any) -> dict[str, Any]:
        return domain.feed(self.db, recipients, **load(PageSchema(), page))

    @rpc
    def mark_read(self, recipients: list[str], notification_id: str) -> None:
        domain.mark_read(self.db, recipients, notification_id)
        self.db.commit()

    @rpc
    def retry_failed_emails(self) -> int:
        return domain.retry_failed(self.db, self.mailer.send)
