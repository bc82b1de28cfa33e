"""A real local HTTP receiver for webhook tests: http.server in a thread on 127.0.0.1.

It answers each POST with the next of `script` ("hang" sleeps past the sender's timeout; a
number is the status; the last entry repeats) and records every request it gets.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    script: list = field(default_factory=lambda: [200])
    hang_seconds: float = 3.0
    answer_body: bytes = b"{}"
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    _server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
                step = receiver.script[min(len(receiver.requests) - 1, len(receiver.script) - 1)]
                if step == "hang":
                    time.sleep(receiver.hang_seconds)
                    step = 200
                self.send_response(int(step))
                self.send_header("Content-Type", "application/json")
                if int(step) in (301, 302):
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                self.send_header("Content-Length", str(len(receiver.answer_body)))
                self.end_headers()
                try:
                    self.wfile.write(receiver.answer_body)
                except OSError:
                    pass

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/kam?x=1"
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
