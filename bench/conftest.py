from support.e2e import admin, stack  # noqa: F401 - the whole system, as in tests/e2e
