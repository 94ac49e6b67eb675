from support.e2e import admin, company, stack  # noqa: F401 - the fixtures of this folder
