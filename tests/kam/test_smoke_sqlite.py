"""Smoke test of the laptop path: no DATABASE_URL → SQLite under var/, migrate, serve the login page."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_sqlite_default_migrates_and_serves_the_login_page(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"}}
    env.update({"DEBUG": "1", "KAM_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kam.settings"})
    manage = [sys.executable, "manage.py"]

    migrate = subprocess.run(
        [*manage, "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    assert (tmp_path / "kam.sqlite3").exists()

    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    body = response.read().decode()
                    final_url = response.geturl()
                break
            except OSError:
                time.sleep(0.3)
        assert body is not None, "the development server did not answer"
        assert final_url.endswith("/login/?next=/")
        assert 'name="password"' in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/kam/css/kam.css", timeout=5) as css:
            assert css.status == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
