"""A batch file's header is checked in time linear in its length.

An upload of 300 KB, one header row of 60,000 columns, took 34 s when each column was counted
against all the others. The header is refused either way; what it costs to refuse grows with
its length, never with its square.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from accounts.models import User
from drafting.batches import BatchError, batch_create_from_csv
from tests.security.linear_time import MOST_GROWTH, fit, growth

pytestmark = pytest.mark.django_db

HEADERS: dict[str, Callable[[int], str]] = {
    "one_column_repeated": lambda size: fit("x,", size),
    "known_column_repeated": lambda size: fit("party_a_name,", size),
    "distinct_columns": lambda size: ",".join(f"c{n}" for n in range(size // 7))[:size],
    "padded_columns": lambda size: fit(" x ,", size),
    "quoted_columns": lambda size: fit('"a b",', size),
}


@pytest.mark.parametrize("header", HEADERS)
def test_a_long_header_is_refused_in_time_linear_in_its_length(lawyer: User, header: str) -> None:
    def upload(text: str) -> None:
        with pytest.raises(BatchError, match="header does not fit"):
            batch_create_from_csv(
                author=lawyer, type_id="nda", csv_file=io.StringIO(text + "\r\nrow\r\n")
            )

    assert growth(upload, HEADERS[header]) < MOST_GROWTH
