from __future__ import annotations

import pytest

from tests.privacy.evaluation import REPORTS


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The corpus's tables (recall, precision, look-alikes kept), in every run's summary (not
    only with -s)."""
    for title, text in REPORTS.items():
        terminalreporter.write_sep("-", title)
        terminalreporter.write_line(text)
