"""Hostile input that costs time out of proportion to its size, or escapes as a traceback.

The entry splitter reads every polled body before any parser does, in the service's
process: a body built to make it slow stalls every source and the HTTP server with it.
Glossary files are read by ``glossary lint`` and at start-up: a small file must not take
seconds, and a bad one must be reported as ``FILE:LINE: message``, never as a traceback.
Each bound below is generous (the fixed code takes a fraction of it); the code before
issue 15 took minutes on the same bodies, or crashed.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syndicate.cli import app
from syndicate.config import load_config
from syndicate.ingest.entry_split import split_feed
from syndicate.terms import load_term_base

from ..conftest import write_config
from ..test_incremental import old_split_feed
from .conftest import Case

pytestmark = pytest.mark.timeout(60)

SIZE = 2 * 1024 * 1024  # 2 MB: minutes for the regex splitter, milliseconds now
HEAD = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
TWO = b"<item><title>a</title><guid>a</guid></item><item><title>b</title><guid>b</guid></item>"
TAIL = b"</channel></rss>"


def repeated(unit: bytes, size: int) -> bytes:
    return unit * (size // len(unit))


# name -> (a body of about `size` bytes, the number of entries it is cut into)
HOSTILE: dict[str, tuple[Callable[[int], bytes], int]] = {
    "unterminated <!--": (lambda n: HEAD + repeated(b"<!--", n) + TWO + TAIL, 2),
    "unterminated <![CDATA[": (lambda n: HEAD + repeated(b"<![CDATA[", n) + TWO + TAIL, 2),
    "unterminated <item": (lambda n: HEAD + TWO + repeated(b"<item ", n), 2),
    "deep nesting": (
        lambda n: (
            HEAD + b"<item>" + repeated(b"<a>", n // 2) + repeated(b"</a>", n // 2) + TWO[6:] + TAIL
        ),
        2,
    ),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_the_entry_splitter_is_fast_on_hostile_bodies(case: Case, kind: str) -> None:
    make, entries = HOSTILE[kind]
    case(f"entry splitter, 2 MB of {kind}", f"cut as before ({entries} entries) in < 5 s")
    small = make(4096)
    expected = old_split_feed(small)  # the cut before issue 15, where it is still fast
    assert expected is not None and len(expected.entries) == entries
    assert split_feed(small) == expected
    body = make(SIZE)
    start = time.perf_counter()
    split = split_feed(body)
    seconds = time.perf_counter() - start
    found = len(split.entries) if split else None
    case.saw(f"{found} entries in {seconds:.3f} s")
    assert found == entries and seconds < 5


# 485 bytes whose one term expands to 2 MB of text: 8 s to read before issue 15
NESTED_ENTITIES = (
    b'<?xml version="1.0"?>\n<!DOCTYPE martif [\n<!ENTITY a "'
    + b"a" * 64
    + b'">\n'
    + b"".join(
        b'<!ENTITY %s "%s">\n' % (name, b"&%s;" % prev * count)
        for name, prev, count in (
            (b"b", b"a", 16),
            (b"c", b"b", 16),
            (b"d", b"c", 16),
            (b"e", b"d", 8),
        )
    )
    + b']>\n<martif><text><body><termEntry id="x"><langSet xml:lang="en"><tig><term>&e;</term>'
    b"</tig></langSet></termEntry></body></text></martif>\n"
)


def lint(tmp_path: Path, path: Path) -> tuple[int, str, BaseException | None, float]:
    config = write_config(tmp_path, '[service]\nlanguages = ["en"]\n')
    start = time.perf_counter()
    result = CliRunner().invoke(app, ["--config", str(config), "glossary", "lint", str(path)])
    seconds = time.perf_counter() - start
    crashed = None if isinstance(result.exception, SystemExit) else result.exception
    return result.exit_code, result.stdout, crashed, seconds


def test_tbx_entity_declarations_are_refused_at_their_line(case: Case, tmp_path: Path) -> None:
    case(
        "TBX with nested entities (485 bytes -> 2 MB)",
        "lint: FILE:LINE entity declaration refused, in < 2 s",
    )
    path = tmp_path / "laughs.tbx"
    path.write_bytes(NESTED_ENTITIES)
    code, out, crashed, seconds = lint(tmp_path, path)
    out = out.replace(f"{tmp_path}/", "")
    case.saw(f"exit {code} in {seconds:.2f} s: {out.strip()[:70]}")
    assert crashed is None and code == 1 and seconds < 2
    assert "laughs.tbx:3: entity declaration refused" in out


def test_csv_field_over_the_csv_limit_is_a_problem_with_its_line(
    case: Case, tmp_path: Path
) -> None:
    case(
        "glossary CSV with a 200 KB field",
        "lint and loader: FILE:LINE unreadable row, no traceback",
    )
    path = tmp_path / "huge.csv"
    path.write_text(
        "concept,domain,definition,lang,term,status,pos,variants,dnt,note\n"
        "grid,,,en,grid,preferred,noun,,,\n"
        f'huge,,,en,"{"x" * (csv.field_size_limit() + 70_000)}",preferred,noun,,,\n',
        "utf-8",
    )
    code, out, crashed, _ = lint(tmp_path, path)
    config = load_config(
        write_config(
            tmp_path, f'[service]\nlanguages = ["en"]\n[glossary]\nfiles = ["{path.name}"]\n'
        ),
        env={},
    )
    problems = [str(p) for p in load_term_base(config).problems]
    out, loaded = out.replace(f"{tmp_path}/", ""), "; ".join(problems).replace(f"{tmp_path}/", "")
    case.saw(f"lint exit {code}: {out.strip()[:60]}; loader: {loaded[:60]}")
    assert crashed is None and code == 1
    assert "huge.csv:3: unreadable row: field larger than field limit" in out
    assert [p.split(": unreadable row")[0] for p in problems] == [f"{path}:3"]
