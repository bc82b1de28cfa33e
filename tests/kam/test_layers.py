"""Dependencies run one way, bottom to top (README, "Architecture"): a lower layer never
imports a higher one, the toolkit and audit import no app, and nothing but `kam/` imports
`kam/`. Read from the source with `ast`, imports inside functions included, so a shortcut
taken in a function body is caught as well."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package → the packages of KAM it may import (besides itself)
ALLOWED = {
    "web": set(),
    "audit": {"web"},
    "users": {"web", "audit"},
    # The outbox every app records its events in, inside its own transactions.
    "events": {"web", "audit", "users"},
    "accounts": {"web", "audit", "users", "events"},
    "pipeline": {"web", "audit", "users", "events", "accounts"},
    # Service levels, coverage and account reviews: reviews read the account plans' targets.
    "servicing": {"web", "audit", "users", "events", "accounts", "pipeline"},
    # Payment collection: plans belong to won opportunities.
    "receivables": {"web", "audit", "users", "events", "accounts", "pipeline"},
    # The dashboard belongs to scoring and reads pipeline, servicing and receivables through their selectors.
    "scoring": {"web", "audit", "users", "events", "accounts", "pipeline", "servicing", "receivables"},
    "demo": {
        "web",
        "audit",
        "users",
        "events",
        "accounts",
        "pipeline",
        "servicing",
        "receivables",
        "scoring",
    },
    "kam": {
        "web",
        "audit",
        "users",
        "events",
        "accounts",
        "pipeline",
        "servicing",
        "receivables",
        "scoring",
        "demo",
    },
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_imports_only_the_layers_below_it(package):
    directory = ROOT / package
    if not directory.is_dir():
        pytest.fail(f"{package}/ is missing")
    wrong = {}
    for path in directory.rglob("*.py"):
        forbidden = imported_packages(path) - ALLOWED[package] - {package}
        if forbidden:
            wrong[str(path.relative_to(ROOT))] = sorted(forbidden)
    assert wrong == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    source = tmp_path / "module.py"
    source.write_text("def f():\n    from kam.celery import app\n    import accounts.models\n")
    assert imported_packages(source) == {"kam", "accounts"}
