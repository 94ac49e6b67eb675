"""The browser tests' own tools, on self-contained pages: the phone and desktop
contexts, axe, screenshots, and the watch for script errors and CSP refusals."""

from __future__ import annotations

import pytest

CSP = {"Content-Security-Policy": "default-src 'self'; script-src 'self'"}
CLEAN = """<!doctype html><html lang="it"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Prova</title></head><body><main><h1>Saldo</h1>
<label for="q">Cerca</label> <input id="q" name="q"></main></body></html>"""
BROKEN = """<!doctype html><html lang="it"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Prova</title></head><body><main><h1>Saldo</h1>
<input id="q" name="q"><img src="x.png"></main></body></html>"""


@pytest.fixture
def site(tmp_path, static_server):
    (tmp_path / "clean.html").write_text(CLEAN)
    (tmp_path / "broken.html").write_text(BROKEN)
    (tmp_path / "x.png").write_bytes(b"")
    (tmp_path / "inline.html").write_text(CLEAN.replace("</main>", "</main><script>1</script>"))
    return static_server(tmp_path, headers=CSP)


def test_a_phone_is_360_px_wide_touch_and_italian(page_factory, site) -> None:
    page = page_factory("phone", base_url=site)
    page.goto("/clean.html")
    seen = page.evaluate("[innerWidth, navigator.language, 'ontouchstart' in window]")
    assert seen == [360, "it-IT", True]
    desktop = page_factory("desktop", base_url=site, locale="en-GB")
    desktop.goto("/clean.html")
    assert desktop.evaluate("[innerWidth, navigator.language]") == [1280, "en-GB"]


def test_axe_passes_a_clean_page_under_a_strict_csp(page_factory, site, axe) -> None:
    page = page_factory("phone", base_url=site)
    page.goto("/clean.html")
    axe(page)
    axe(page)  # again on the same page: axe is injected once


def test_axe_fails_listing_each_violation_and_its_nodes(page_factory, site, axe) -> None:
    page = page_factory("phone", base_url=site)
    page.goto("/broken.html")
    with pytest.raises(pytest.fail.Exception) as failed:
        axe(page)
    report = str(failed.value)
    assert "label" in report and "image-alt" in report and "#q" in report, report


def test_a_screenshot_is_a_png_of_the_whole_page(page_factory, site, shot, tmp_path) -> None:
    page = page_factory("phone", base_url=site)
    page.goto("/clean.html")
    path = shot(page, "clean", folder=tmp_path / "shots")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_an_inline_script_refused_by_the_csp_is_reported(page_factory, site) -> None:
    page = page_factory("phone", base_url=site)
    page.goto("/inline.html")
    page.wait_for_load_state("load")
    assert any("Content Security Policy" in p for p in page_factory.problems), \
        page_factory.problems
    page_factory.problems.clear()  # seen: this test's teardown need not fail
