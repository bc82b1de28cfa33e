"""The COPY text of a run's numbers: exact decimals from integer cents, whichever way it is built."""

from decimal import Decimal

import numpy as np

from scoring.services import _money_text


def test_percent_values_and_money_read_back_exactly():
    percent = np.array([0, 5, 99, 100, 4550, 10_000])
    money = np.array([0, 5, -1, -50, -150, 12_345_678, -99, 10_001, 99_999_999_999_999])
    for cents in (percent, money):
        text = _money_text(cents)
        assert [Decimal(value) for value in text] == [Decimal(int(c)).scaleb(-2) for c in cents]
        assert all(value.split(".")[1].isdigit() and len(value.split(".")[1]) == 2 for value in text)
    assert _money_text(percent) == ["0.00", "0.05", "0.99", "1.00", "45.50", "100.00"]
    assert _money_text(np.array([-1, -150])) == ["-0.01", "-1.50"]
    assert _money_text(np.array([], dtype=np.int64)) == []
