"""Extraction benchmark, run on demand (never in CI):

    .venv/bin/python bench/extraction_bench.py [--pages 200] [--repeat 3]

Makes a PDF (fpdf2, with a text layer) and a Word file (explicit page breaks) of `--pages`
pages of lease clauses, about 1,900 characters a page, plus a plain-text file of the same
pages, and prints for each how many pages a second `cases.extraction.pages_extract` reads
(the best of `--repeat` runs, one thread) and the splitter `cases.passages.passages_split`
cuts into passages. Nothing touches a database: extraction and splitting are the CPU-bound
part of a document's job.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from cases.extraction import pages_extract  # noqa: E402
from cases.passages import passages_split  # noqa: E402
from tests.documents import docx_bytes, pdf_bytes  # noqa: E402

CLAUSES = (
    "The Tenant shall pay the Rent monthly in advance on the first day of each month by bank "
    "transfer. Subject to clause 4, the Landlord may enter the Premises on giving 24 hours "
    "notice in writing. "
)


def _best_seconds(
    call: Callable[..., object], *args: object, repeat: int, **kwargs: object
) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        call(*args, **kwargs)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    page = "\n\n".join([CLAUSES * 2] * 5)
    files = {
        "pdf": pdf_bytes([page] * args.pages),
        "docx": docx_bytes([[CLAUSES * 2] * 5 for _ in range(args.pages)]),
        "txt": "\f".join([page] * args.pages).encode(),
    }
    print(f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print("| format | pages | file | extraction pages/s | splitting pages/s | passages |")
    print("| --- | --- | --- | --- | --- | --- |")
    for format, data in files.items():
        pages = pages_extract(data=data, format=format)
        extract = _best_seconds(pages_extract, repeat=args.repeat, data=data, format=format)
        split = _best_seconds(passages_split, pages, repeat=args.repeat)
        print(
            f"| {format} | {len(pages)} | {len(data) / 1e6:.2f} MB | {len(pages) / extract:,.0f} "
            f"| {len(pages) / split:,.0f} | {len(passages_split(pages))} |"
        )


if __name__ == "__main__":
    main()
