"""The JavaScript twin of the money rule (static/kam/js/money.js) passes the same hand-worked cases
as web/money.py: `node --test` on tests/js/, run from here so that CI runs it with pytest."""

import shutil
import subprocess
from pathlib import Path

from tests.conftest import service_missing

ROOT = Path(__file__).resolve().parents[2]


def test_the_javascript_money_format_agrees_with_python():
    node = shutil.which("node")
    if node is None:
        service_missing("node not found (apt-get install nodejs)")
    files = sorted(str(path) for path in (ROOT / "tests" / "js").glob("*.test.js"))
    assert files, "no JavaScript tests under tests/js/"
    result = subprocess.run(
        [node, "--test", *files], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
