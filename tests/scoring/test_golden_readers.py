"""Every reader of the scoring results answers as it did before the run's numbers left the
customer row (issue 17): the same scored population, asked the same questions, compared with
what the code before the change (2f7407b) answered (golden_readers.json; see golden_readers.py)."""

import json
import os
from pathlib import Path

import pytest

from tests.scoring.golden_readers import build_population, clients_for, dump_readers, write_json

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).with_name("golden_readers.json")
WRITE_TO = os.environ.get("KAM_GOLDEN_READERS_WRITE", "")


def differences(expected, actual, path: str = "") -> list[str]:
    """Where `actual` differs from `expected`, key by key, one line each."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        found = []
        for key in sorted(expected.keys() | actual.keys()):
            where = f"{path}[{key!r}]"
            if key not in actual:
                found.append(f"{where}: missing (was {expected[key]!r})")
            elif key not in expected:
                found.append(f"{where}: new {actual[key]!r}")
            else:
                found += differences(expected[key], actual[key], where)
        return found
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        found = []
        for i, (old, new) in enumerate(zip(expected, actual, strict=True)):
            found += differences(old, new, f"{path}[{i}]")
        return found
    return [] if expected == actual else [f"{path}: was {expected!r}, now {actual!r}"]


def test_every_reader_answers_as_before_the_standing_table(postgres):
    users = build_population()
    actual = dump_readers(*clients_for(users))
    expected = json.loads(GOLDEN.read_text())
    found = differences(expected, actual)
    assert not found, f"{len(found)} differences from {GOLDEN.name}:\n" + "\n".join(found[:200])


@pytest.mark.skipif(not WRITE_TO, reason="set KAM_GOLDEN_READERS_WRITE=<path> to write the golden file")
def test_write_golden_readers(postgres):
    users = build_population()
    write_json(dump_readers(*clients_for(users)), WRITE_TO)
