"""Declare the event backbone and every consumer's queue before services start."""

from benefits.service import BenefitsService
from catalog.service import CatalogService
from notifications.service import NotificationsService
from wallet.service import WalletService
from wecare_common.config import amqp_uri
from wecare_common.topology import declare_all

SERVICE_CLASSES = (CatalogService, BenefitsService, WalletService, NotificationsService)

if __name__ == "__main__":
    queues = declare_all(amqp_uri(), SERVICE_CLASSES)
    print(f"declared {len(queues)} consumer queue(s)")
