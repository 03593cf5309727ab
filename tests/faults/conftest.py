from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.servers import Server, private_mariadb_server


@pytest.fixture
def private_mariadb() -> Iterator[tuple[Server, int]]:
    """A MariaDB of this test alone with an empty database `counsel`, and its port."""
    with private_mariadb_server() as (server, port):
        yield server, port
