"""How a WeCare process stops (docs/operations.md#stopping): on SIGTERM it goes
unready at once and keeps serving while the load balancers take it out, then
finishes what it holds and exits, inside the pod's grace period.

1. SIGTERM: readiness answers 503 `draining` (GET /health, the gateway's /ready);
   everything else is served as before, each answer closing its connection
   (`Connection: close`), so a client kept alive on this replica reconnects
   through the Service to another. This lasts `WECARE_DRAIN_SECONDS` (0 unless
   set: the manifests set it, `make run` and the tests' stacks need no balancer):
   the time a Kubernetes Service, an ingress or a balancer following readiness
   takes to stop sending here.
2. The web server stops accepting and waits for the requests under way; idle
   kept-alive connections are closed.
3. nameko's container stops: the event consumers cancel (no new deliveries),
   finish and ack what they hold, and put back what they had not begun
   (wecare_common.consumer); timers and workers finish; the outbox relay
   publishes what the last workers committed (wecare_common.outbox).
   Steps 2 and 3 have `WECARE_STOP_SECONDS` (default 20); past it the container
   is killed (what it held unacked goes back to its queue: nothing is lost, the
   consumers are idempotent).

Every HTTP entrypoint of the project is a `wecare_common.telemetry.HttpEntrypoint`,
served by the `WebServer` below: one per process, and the place where its stopping
starts, since every process has one (its probes)."""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

import eventlet
from eventlet.wsgi import STATE_CLOSE, STATE_IDLE, STATE_REQUEST
from nameko.extensions import ProviderCollector
from nameko.web import server as nameko_server

from wecare_common import config

log = logging.getLogger(__name__)

DEFAULT_STOP_SECONDS = 20.0
_PROTOCOL = "wecare.protocol"


def drain_seconds() -> float:
    """How long a process keeps serving, unready, after SIGTERM."""
    return float(config.env("WECARE_DRAIN_SECONDS") or 0)


def stop_seconds() -> float:
    """How long it then has to finish what it holds before it is killed."""
    return float(config.env("WECARE_STOP_SECONDS") or DEFAULT_STOP_SECONDS)


class _Stopping:
    """The process's own state: set once, by SIGTERM."""

    def __init__(self) -> None:
        self.since: float | None = None

    @property
    def draining(self) -> bool:
        return self.since is not None

    def begin(self) -> bool:
        """True the first time; a second SIGTERM changes nothing."""
        if self.since is not None:
            return False
        self.since = time.monotonic()
        return True


stopping = _Stopping()


def draining() -> bool:
    """This process was told to stop: readiness says so, answers close their connection."""
    return stopping.draining


class _Protocol(nameko_server.HttpOnlyProtocol):
    """eventlet's HTTP protocol, handing itself to the application with each request
    (so that an answer given while stopping can end its connection)."""

    def get_environ(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        environ = super().get_environ(*args, **kwargs)
        environ[_PROTOCOL] = self
        return environ


class _ClosingWhenStopping:
    """WSGI middleware: while the process drains or its server stops, every answer
    ends its connection (eventlet then says `Connection: close`), so a client kept
    alive here opens its next connection through the balancer, to another replica."""

    def __init__(self, app: Any, server: WebServer) -> None:
        self.app = app
        self.server = server

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not (stopping.draining or self.server.closing):
            return self.app(environ, start_response)

        def closing(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            protocol = environ.get(_PROTOCOL)
            if protocol is not None:  # read by eventlet when it writes the head
                protocol.close_connection = 1
            return start_response(status, headers, exc_info)

        return self.app(environ, closing)


class WebServer(nameko_server.WebServer):
    """nameko's web server, stopping gracefully (this module's docstring). It knows
    its connections and their state (idle, or answering a request), and installs the
    process's SIGTERM handler."""

    _is_accepting: bool

    def __init__(self) -> None:
        super().__init__()
        self._connections: dict[int, list[Any]] = {}
        self._previous_handler: Any = None
        self._handling_sigterm = False
        self.closing = False

    # -- serving ------------------------------------------------------------------
    def get_wsgi_server(self, sock: Any, wsgi_app: Any, protocol: Any = _Protocol,
                        debug: bool = False) -> Any:
        return super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)

    def get_wsgi_app(self) -> Any:
        return _ClosingWhenStopping(super().get_wsgi_app(), self)

    def process_request(self, sock: Any, address: Any) -> None:
        connection = [address, sock, STATE_IDLE]
        self._connections[id(connection)] = connection
        try:
            self._serv.process_request(connection)
        except OSError as exc:  # as nameko's: a client gone very early (eventlet's bug)
            if "raw readinto() returned invalid length" not in str(exc):
                raise
        finally:
            self._connections.pop(id(connection), None)

    def busy(self) -> int:
        """Connections answering a request now."""
        return sum(1 for c in self._connections.values() if c[2] == STATE_REQUEST)

    # -- stopping -----------------------------------------------------------------
    def stop_accepting(self) -> None:
        """No new connection: the listening socket is closed (idempotent)."""
        if self._is_accepting and self._gt is not None:
            self._is_accepting = False
            self._gt.kill()
            self._sock.close()

    def finish_requests(self, timeout: float) -> bool:
        """Wait (up to `timeout` s) until no connection is answering a request, then
        close the idle ones; whether every request finished in time. A connection
        that is answering closes after its answer."""
        deadline = time.monotonic() + timeout
        self.closing = True
        while self.busy() and time.monotonic() < deadline:
            eventlet.sleep(0.02)
        finished = not self.busy()
        for connection in list(self._connections.values()):
            if connection[2] == STATE_IDLE:  # waiting for a next request: none will come
                connection[2] = STATE_CLOSE
                _shut(connection[1])
        return finished

    def setup(self) -> None:
        super().setup()
        try:  # green threads run in the main thread, where `nameko run` runs
            self._previous_handler = signal.signal(signal.SIGTERM, self._on_sigterm)
            self._handling_sigterm = True
        except ValueError:  # another thread (a test's): its runner stops it
            pass

    def stop(self) -> None:
        self.stop_accepting()
        self.finish_requests(stop_seconds())
        self._restore_handler()
        ProviderCollector.stop(self)

    def kill(self) -> None:
        self._restore_handler()
        if self._gt is not None:
            self.stop_accepting()

    def _restore_handler(self) -> None:
        if self._handling_sigterm:
            self._handling_sigterm = False
            signal.signal(signal.SIGTERM, self._previous_handler or signal.SIG_DFL)

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        # a signal handler runs outside any green thread: the work goes to one
        if stopping.begin():
            eventlet.spawn_n(self._stop_gracefully)

    def _stop_gracefully(self) -> None:
        drain, budget = drain_seconds(), stop_seconds()
        name = self.container.service_name
        log.warning("%s: SIGTERM; not ready, serving %g s more while the balancers "
                    "take this replica out, then stopping (%g s to finish)", name, drain, budget)
        eventlet.sleep(drain)
        started = time.monotonic()
        watchdog = eventlet.spawn_after(budget, self._too_slow, name, budget)
        self.stop_accepting()
        finished = self.finish_requests(budget)
        requests_done = time.monotonic() - started
        self.container.stop()
        watchdog.cancel()
        log.warning("%s: stopped; requests under way %s in %.1f s, the rest in %.1f s",
                    name, "finished" if finished else "cut short", requests_done,
                    time.monotonic() - started - requests_done)

    def _too_slow(self, name: str, budget: float) -> None:
        log.error("%s: not stopped %g s after draining; killed (unacked messages go back "
                  "to their queues)", name, budget)
        self.container.kill()


def _shut(sock: Any) -> None:
    try:
        sock.shutdown(2)  # socket.SHUT_RDWR: the reader waiting on it sees the end
    except OSError:
        pass
