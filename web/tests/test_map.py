"""The catalogue's map: beside the list, never instead of it, and only when a
tile server is configured (WECARE_MAP_TILES_URL); the page's policy then lets
that server's images in, and nothing else."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_employee_pages import FakeApi, html, make_page, pages  # noqa: E402

RESULTS = {"items": [
    {"id": "o1", "title": "Retta mensile asilo nido", "provider_name": "Il Girasole",
     "city": "Torino", "category": "education", "price_cents": 45_000, "lat": 45.0686,
     "lon": 7.6934, "distance_km": 1.2},
    {"id": "o2", "title": "Abbonamento trimestrale", "provider_name": "Movimento",
     "city": "Torino", "category": "wellbeing", "price_cents": 15_000, "lat": 45.0781,
     "lon": 7.647, "distance_km": 3.4}], "next_cursor": None}


def catalogue(query: dict | None = None):  # type: ignore[no-untyped-def]
    api = FakeApi({("GET", "/offerings"): RESULTS})
    return pages.catalogue(make_page(api, path="/catalogue", query=query))


def test_without_tiles_there_is_the_list_and_no_map(monkeypatch) -> None:
    monkeypatch.delenv("WECARE_MAP_TILES_URL", raising=False)
    response = catalogue({"lat": "45.07", "lon": "7.69"})
    text = html(response)
    assert 'id="map"' not in text and "leaflet" not in text
    assert text.count('class="result"') == 2
    assert "img-src 'self' data: blob:;" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("tiles, origin", [
    ("https://tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org"),
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
])
def test_with_tiles_the_map_is_beside_the_list(monkeypatch, tiles: str, origin: str) -> None:
    monkeypatch.setenv("WECARE_MAP_TILES_URL", tiles)
    response = catalogue({"lat": "45.07", "lon": "7.69"})
    text = html(response)
    assert f'data-tiles="{tiles}"' in text and 'id="map"' in text
    assert "vendor/leaflet/leaflet.js" in text and "js/map.js" in text
    # the list is still there, each result with the place the map marks
    assert text.count('class="result"') == 2
    assert 'data-lat="45.0686"' in text and 'data-lon="7.6934"' in text
    csp = response.headers["Content-Security-Policy"]
    assert f"img-src 'self' data: blob: {origin};" in csp
    assert "script-src 'self';" in csp  # Leaflet is ours, not the tile server's
