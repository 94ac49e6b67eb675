"""The welfare categories of DESIGN §2, shared by every service's contract."""

CATEGORIES: tuple[str, ...] = (
    "education", "family_care", "wellbeing", "transport", "health_fund", "pension", "fringe",
)
