"""The notifications service's entrypoints: events in, emails and feed out."""

from __future__ import annotations

from typing import Any

# a module, not the class: `nameko run` would take every class it finds here
from wecare_common import health
from wecare_common.consumer import handle_event
from wecare_common.db import Database
from wecare_common.memory import SettledMemory
from wecare_common.rpc import rpc
from wecare_common.schemas import PageSchema, load

from notifications import domain, routes
from notifications.batching import Teller
from notifications.mailer import MailerProvider
from notifications.models import Base
from notifications.schemas import PreferencesRequest


class NotificationsService(health.HealthEntrypoints):
    name = "notifications"
    memory = SettledMemory()  # startup's objects out of the collector's walks

    db = Database("notifications", Base.metadata)
    mailer = MailerProvider()
    tell = Teller()

    @handle_event(*routes.EVENT_TYPES)
    def on_event(self, event: dict[str, Any]) -> None:
        self.tell(domain.told(event))

    @rpc
    def feed(self, recipients: list[str], **page: Any) -> dict[str, Any]:
        return domain.feed(self.db, recipients, **load(PageSchema, page))

    @rpc
    def mark_read(self, recipients: list[str], notification_id: str) -> None:
        domain.mark_read(self.db, recipients, notification_id)
        self.db.commit()

    @rpc
    def preferences(self, recipient: str) -> dict[str, Any]:
        return domain.preferences(self.db, recipient)

    @rpc
    def set_preferences(self, recipient: str, **changes: Any) -> dict[str, Any]:
        result = domain.set_preferences(self.db, recipient, load(PreferencesRequest, changes))
        self.db.commit()
        return result

    @rpc
    def failed_emails(self) -> list[dict[str, Any]]:
        return domain.failed(self.db)

    @rpc
    def retry_failed_emails(self) -> int:
        return domain.retry_failed(self.db, self.mailer.send_many)
