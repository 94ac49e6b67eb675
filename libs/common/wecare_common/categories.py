"""The welfare categories (docs/fiscal-rules.md#categories), shared by every service's contract."""

CATEGORIES: tuple[str, ...] = (
    "education", "family_care", "wellbeing", "transport", "health_fund", "pension", "fringe",
)
