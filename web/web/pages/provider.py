"""The provider's pages, on a phone at the counter."""

from __future__ import annotations


class ProviderPages:
    pass
