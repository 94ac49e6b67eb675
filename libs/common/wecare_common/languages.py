"""The languages WeCare speaks: Italian by default, English on request. The one list
for the web app's pages, the contract's `language` fields and the gateway's reading of
a request's Accept-Language (a provider's application: the emails it brings)."""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("it", "en")
DEFAULT = "it"


def best_match(accept_language: str | None) -> str | None:
    """The language of ours a browser's or client's Accept-Language prefers most
    (RFC 9110 §12.5.4: its q-values, then its order; `en-GB` is `en`; `q=0` is a
    refusal); None when it names none of ours."""
    ranked: list[tuple[float, int, str]] = []
    for n, part in enumerate((accept_language or "").split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        language = tag.lower().split("-")[0]
        if language not in LANGUAGES:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0  # unreadable: not a preference we can trust
        if quality > 0:
            ranked.append((-quality, n, language))
    return min(ranked)[2] if ranked else None


def chosen(given: str | None, accept_language: str | None) -> str:
    """A person's language: the one they gave, else their Accept-Language's best match,
    else Italian."""
    return given or best_match(accept_language) or DEFAULT
