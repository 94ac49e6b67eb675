"""Browser tests: Playwright driving Debian's chromium (`make browser-deps`; never
Playwright's own browser download) against the whole of WeCare running as processes on a
throwaway database and vhost (bench/harness.py's stack), the demo seeded
through the public API.

They run under plain pytest: `make test-browser`, or the second half of
`make test`. `nameko test` monkey-patches the standard library with eventlet,
which Playwright's sync API does not survive; under it these tests are skipped.

Fixtures:
- stack (session): the running system; .url (pages and /api/v1 at one origin),
  .logins, .login(role), .api, .mail (the SMTP sink's Maildir), .web
- stack_factory(data_dir, extra_env): a stack of a module's own, with more environment
- browser (session), page_factory(kind="phone"|"desktop", base_url=, locale=,
  browser=, **context options), phone and desktop (pages on stack.url)
- camera_browser(y4m): a chromium whose camera plays that video (camera.py)
- axe(page): zero WCAG 2.1 A/AA violations, or the test fails listing them
- shot(page, name): docs/screenshots/<name>.png
- static_server(folder, headers=None): a local http.server for self-contained pages

Every page page_factory opens is watched: an uncaught script error or a
Content-Security-Policy refusal fails the test.

What every test does the same way, signing in, moving with the keyboard alone
(tab_to), waiting on a loaded machine (wait_for, wait_until), looking at a page
(look, looks_right) and making up a partita IVA or codice fiscale, is in one place,
tests/support/browsing.py: `from support.browsing import sign_in, tab_to, …`.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import functools
import mailbox
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from support import harness as harness_module

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-quic", "--no-first-run",
                 "--disable-sync"]
AXE_JS = HERE / "vendor/axe-core/axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = ROOT / "docs/screenshots"
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
         "locale": "it-IT"}
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "it-IT"}
NO_CHROMIUM = f"""no Chromium at {CHROMIUM}. Install Debian's with `make browser-deps`
(as root, or: sudo apt-get update && sudo apt-get install -y chromium fonts-dejavu-core),
or set CHROMIUM_PATH to a Chromium or Chrome binary. Never Playwright's own browser download."""
WHAT_TO_START = """the browser tests' WeCare did not start ({error}).
They need PostgreSQL (psql on the PATH; BENCH_PG_URL or WECARE_TEST_DATABASE_URL names a
server other than postgresql://postgres@127.0.0.1:5432) and RabbitMQ with its management API
(AMQP_URI, RABBIT_API_URI): `.ci/run` starts both. Logs: {logs}
{tails}"""


# -- plain pytest, never eventlet --------------------------------------------------------
def _monkey_patched() -> bool:
    if "eventlet" not in sys.modules:
        return False
    from eventlet import patcher

    return any(patcher.is_monkey_patched(m) for m in ("socket", "thread", "os"))


def pytest_configure(config: pytest.Config) -> None:
    # nameko's pytest plugin warns, under plain pytest, that nothing is monkey-patched:
    # exactly what these tests need
    if hasattr(config.option, "suppress_eventlet_notification"):
        config.option.suppress_eventlet_notification = True


def _refuse_eventlet() -> None:
    if _monkey_patched():
        pytest.fail("eventlet has monkey-patched this process, and Playwright's sync API does "
                    "not survive that: run the browser tests under plain pytest", pytrace=False)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # skipped under `nameko test` (make test runs them in a process of their own); anywhere
    # else a monkey-patched process fails them (_refuse_eventlet), never skips them silently
    if not (_monkey_patched() and Path(sys.argv[0]).name == "nameko"):
        return
    skip = pytest.mark.skip(reason="browser tests run under plain pytest (make test-browser): "
                                   "eventlet's monkey-patching breaks Playwright")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


# -- the system under test ----------------------------------------------------------------
class Mailbox:
    """The Maildir the stack's SMTP sink files every email into."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def messages(self) -> list[email.message.EmailMessage]:
        if not (self.folder / "new").exists():
            return []
        box = mailbox.Maildir(self.folder, create=False, factory=lambda f: (
            email.message_from_binary_file(f, policy=email.policy.default)))
        return list(box)

    def wait_for(self, predicate: Callable[[Any], bool], timeout: float = 20) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.messages() if predicate(m)]
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"no such email arrived in {timeout:.0f} s; "
                             f"{len(self.messages())} in {self.folder}")


@dataclass
class Stack:
    url: str  # the gateway: pages (forwarded to the web app) and /api/v1
    logins: list[tuple[str, str, str]]  # (role, email, password) of the seeded demo
    api: Any  # bench/harness.py's Api: api(verb, path, token, key, **body), api.token(…)
    mail: Mailbox
    logs: Path
    env: dict[str, str]
    web: bool  # whether scripts/run.py starts the web app

    def login(self, role: str, n: int = 0) -> tuple[str, str]:
        """(email, password) of the demo's n-th person in that role."""
        return [(e, p) for r, e, p in self.logins if r == role][n]


def _tails(logs: Path, lines: int = 15) -> str:
    out = []
    for log in sorted(logs.glob("*.log")):
        text = log.read_text(errors="replace").splitlines()[-lines:]
        if text:
            out.append(f"--- {log.name}\n" + "\n".join(text))
    return "\n".join(out)


@contextlib.contextmanager
def start_stack(data: Path, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """WeCare as `make run` starts it, on free ports, with the demo seeded; extra_env:
    more variables for every process (a test module's own stack, e.g. with Stripe)."""
    _refuse_eventlet()
    harness = harness_module.load()
    from scripts.run import SERVICES
    from scripts.seed import seed

    running_stack = harness.stack(harness.Ports.free(), data, extra_env=extra_env,
                                  prefix="wecare_browser_")
    try:
        running = running_stack.__enter__()
    except (RuntimeError, OSError, SystemExit, subprocess.CalledProcessError) as exc:
        detail = exc.stderr.decode(errors="replace") if getattr(exc, "stderr", None) else exc
        pytest.fail(WHAT_TO_START.format(error=detail, logs=data / "logs",
                                         tails=_tails(data / "logs")), pytrace=False)
    try:
        logins = seed(running.url, *harness.ADMIN)
        yield Stack(running.url, logins, running.api, Mailbox(running.mail), running.logs,
                    running.env, web="web" in {name for name, *_ in SERVICES})
    finally:
        running_stack.__exit__(None, None, None)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """WeCare as `make run` starts it, on free ports, with the demo seeded; its clock is
    the machine's until a test moves it (`move_clock`: every process reads the same
    WECARE_CLOCK_FILE), and benefits looks at bonus deadlines every second."""
    data = tmp_path_factory.mktemp("stack")
    with start_stack(data, {"WECARE_CLOCK_FILE": str(data / "clock"),
                            "WECARE_BONUS_OFFERS_INTERVAL_SECONDS": "1"}) as running:
        yield running


@pytest.fixture
def move_clock(stack: Stack) -> Iterator[Callable[[Any], None]]:
    """move_clock(timedelta): the stack's processes are that much later from now on (a
    deadline passes without waiting for it); back to the machine's clock after the test."""
    from wecare_common import clock

    path = stack.env["WECARE_CLOCK_FILE"]
    yield lambda by: clock.move(path, by)
    Path(path).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def stack_factory() -> Callable[..., Any]:
    """stack_factory(data_dir, extra_env) → a context manager giving a Stack of one's
    own, started with more environment (a module's fixture: e.g. Stripe configured)."""
    return start_stack


# -- the browser -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def pw() -> Iterator[Any]:
    """Playwright (sync API), started once."""
    _refuse_eventlet()
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(NO_CHROMIUM, pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def launch(pw: Any, *args: str) -> Any:
    return pw.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *args])


@pytest.fixture(scope="session")
def browser(pw: Any) -> Iterator[Any]:
    b = launch(pw)
    yield b
    b.close()


@pytest.fixture
def camera_browser(pw: Any) -> Iterator[Callable[[Path], Any]]:
    """camera_browser(y4m) → a chromium whose camera shows that video (camera.py's
    write_qr_y4m), camera permission granted; open pages with page_factory(browser=…)."""
    launched = []

    def with_camera(y4m: Path | str) -> Any:
        b = launch(pw, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                   f"--use-file-for-fake-video-capture={Path(y4m).resolve()}")
        launched.append(b)
        return b

    yield with_camera
    for b in launched:
        b.close()


@pytest.fixture
def page_factory(browser: Any) -> Iterator[Callable[..., Any]]:
    """page_factory("phone"|"desktop", base_url=None, locale=None, browser=None, **options)
    → a page in a context of its own (360×740 touch phone or 1280×800 desktop, it-IT)."""
    default_browser = browser
    contexts: list = []
    problems: list[str] = []

    def watch(page: Any) -> None:
        page.on("pageerror", lambda exc: problems.append(f"{page.url}: uncaught {exc}"))
        page.on("console", lambda msg: problems.append(f"{page.url}: {msg.text}")
                if msg.type == "error" and ("Content Security Policy" in msg.text
                                            or "Refused to" in msg.text) else None)

    def new_page(kind: str = "phone", *, base_url: str | None = None,
                 locale: str | None = None, browser: Any = None, **options: Any) -> Any:
        if kind not in ("phone", "desktop"):
            raise ValueError(f"kind is phone or desktop, not {kind!r}")
        settings: dict[str, Any] = dict(PHONE if kind == "phone" else DESKTOP)
        if locale:
            settings["locale"] = locale
        if base_url:
            settings["base_url"] = base_url
        settings.update(options)
        context = (browser or default_browser).new_context(**settings)
        contexts.append(context)
        context.on("page", watch)
        return context.new_page()

    new_page.problems = problems  # type: ignore[attr-defined] - what the watch saw so far
    yield new_page
    for context in contexts:
        context.close()
    if problems:
        pytest.fail("the browser reported:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def phone(page_factory: Callable[..., Any], stack: Stack) -> Any:
    return page_factory("phone", base_url=stack.url)


@pytest.fixture
def desktop(page_factory: Callable[..., Any], stack: Stack) -> Any:
    return page_factory("desktop", base_url=stack.url)


# -- checks and pictures -------------------------------------------------------------------
AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
}"""


@functools.cache
def _axe_source() -> str:
    return AXE_JS.read_text()


def check_axe(page: Any) -> None:
    """Fail listing every WCAG 2.1 A/AA violation axe-core finds on the page as it is.

    axe goes in through the DevTools protocol (page.evaluate), not add_script_tag: the
    app's Content-Security-Policy refuses inline scripts, and bypass_csp would hide the
    policy's own mistakes from these tests."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate("(source) => { (0, eval)(source); }", _axe_source())
    violations = page.evaluate(AXE_RUN, WCAG)
    if violations:
        lines = [f"{page.url}: {len(violations)} axe violation(s) of WCAG 2.1 A/AA"]
        for v in violations:
            lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
            for node in v["nodes"]:
                summary = " ".join((node["summary"] or "").split())
                lines.append(f"    {node['target']}: {summary}")
        pytest.fail("\n".join(lines), pytrace=False)


def save_shot(page: Any, name: str, folder: Path = SCREENSHOTS, full_page: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    return path


@pytest.fixture
def axe() -> Callable[[Any], None]:
    return check_axe


@pytest.fixture
def shot() -> Callable[..., Path]:
    return save_shot


# -- a static site, for self-contained pages -------------------------------------------
class _QuietHandler(SimpleHTTPRequestHandler):
    extra_headers: dict[str, str] = {}

    def end_headers(self) -> None:
        for name, value in self.extra_headers.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture
def static_server() -> Iterator[Callable[..., str]]:
    """static_server(folder, headers=None) → the http://127.0.0.1:port serving folder."""
    servers: list[ThreadingHTTPServer] = []

    def serve(folder: Path, headers: dict[str, str] | None = None) -> str:
        handler = type("Handler", (_QuietHandler,), {"extra_headers": headers or {}})
        server = ThreadingHTTPServer(("127.0.0.1", 0),
                                     functools.partial(handler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()
