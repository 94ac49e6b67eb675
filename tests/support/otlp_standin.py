"""A local stand-in for an OpenTelemetry collector: an HTTP server taking OTLP/HTTP
(protobuf) exports at POST /v1/traces, as a collector's `otlphttp` receiver does (port
4318), and keeping what it received. The tests read the spans back (`spans()`); the
benchmarks run it as a process of its own (`python tests/support/otlp_standin.py PORT`)
so exporting costs what it costs against a real collector, without one.

GET /spans answers the spans received so far as JSON lines (service, trace and span
ids, parent, name, kind)."""

from __future__ import annotations

import gzip
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KINDS = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER",
         5: "CONSUMER"}


def decode(body: bytes) -> list[dict[str, Any]]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    spans = []
    for resource in request.resource_spans:
        service = next((a.value.string_value for a in resource.resource.attributes
                        if a.key == "service.name"), "")
        for scope in resource.scope_spans:
            for span in scope.spans:
                spans.append({
                    "service": service, "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(), "parent_id": span.parent_span_id.hex(),
                    "name": span.name, "kind": KINDS.get(span.kind, str(span.kind)),
                    "attributes": {a.key: (a.value.string_value or a.value.int_value)
                                   for a in span.attributes}})
    return spans


class Collector:
    """The server, in a thread of this process; `url` is what OTEL_EXPORTER_OTLP_ENDPOINT
    names."""

    def __init__(self, port: int = 0, keep: bool = True) -> None:
        self.received: list[dict[str, Any]] = []
        self.exports = 0
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                # kept spans are decoded; a stand-in that keeps none (the benchmarks)
                # only takes the export, as a collector on a host of its own would
                spans = decode(body) if keep and self.path == "/v1/traces" else []
                with collector.lock:
                    collector.exports += 1
                    collector.received.extend(spans)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802
                with collector.lock:
                    data = "".join(json.dumps(s) + "\n" for s in collector.received).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def spans(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.received)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    # a process of its own (the benchmarks): counts exports, keeps (and decodes) no spans
    running = Collector(int(sys.argv[1]), keep=False)
    print(running.url, flush=True)
    running.thread.join()
