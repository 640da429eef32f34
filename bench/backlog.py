"""Backlog benchmark: the first cycle over many new articles, as an operator onboarding many
sources sees it (issue 18).

    .venv/bin/python bench/backlog.py [--sizes 10000,30000,100000] [--entries 30]

For each size, a local fixture server (bench/fixture.py, on 127.0.0.1) serves size/30
feeds of exactly 30 English items each, all dated in one past month, and
``syndicate poll --once --force`` runs its first cycle over them with the demo's
languages (it, en, ja), topics and shipped term base, into a fresh SQLite database and
output directory. Printed per size: wall time, CPU time per article, peak RSS (wait4), the
largest file written, the files and bytes under the output directory and per 1,000
articles, then that disk cost by kind of output; then ``publish --force`` into an emptied
output directory (every archive page written again from its recorded span). The RSS column
is the one to watch: the goal is a flat line (within 1.5x from the smallest size to the
largest).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ingest import Run, fetch_and_schedule, fixture_feeds, measure  # noqa: E402

ROOT = HERE.parent


#: what the output directory holds, by kind (the fixture's articles are all English)
KINDS = ("feeds", "archives, English", "archives, it+ja copies", ".gz twins", "OPML")


@dataclass(frozen=True)
class Row:
    articles: int
    run: Run
    largest: tuple[str, int]
    files: int
    disk: int
    #: bytes per kind (KINDS)
    kinds: dict[str, int]
    #: ``publish --force`` into an empty output directory afterwards
    rebuild: Run


def kind(relpath: Path) -> str:
    """Which of KINDS a file under the output directory is."""
    if relpath.suffix == ".gz":
        return ".gz twins"
    if relpath.suffix == ".opml":
        return "OPML"
    if "archive" not in relpath.parts:
        return "feeds"
    return "archives, English" if relpath.parts[0] == "en" else "archives, it+ja copies"


def demo_topics() -> str:
    """The ``[[topics]]`` tables of the demo configuration, as written there."""
    text = (ROOT / "config.toml").read_text("utf-8")
    return "".join(re.findall(r"^\[\[topics\]\]\n.*?(?=^\[|\Z)", text, re.M | re.S))


def config_text(directory: Path, urls: list[str]) -> str:
    sources = "".join(f'[[sources]]\nid = "f{i:05d}"\nurl = "{u}"\n' for i, u in enumerate(urls))
    return f"""
[service]
languages = ["it", "en", "ja"]
database = "sqlite:///{directory / "backlog.db"}"
output_dir = "{directory / "feeds"}"

[glossary]
files = ["{ROOT / "locales" / "glossary"}/*.csv"]

{fetch_and_schedule(timeout="120s")}
{demo_topics()}
{sources}"""


def run_size(articles: int, entries: int) -> Row:
    feeds = max(1, articles // entries)
    with (
        fixture_feeds(feeds, "--entries", str(entries)) as base,
        tempfile.TemporaryDirectory() as tmp,
    ):
        directory = Path(tmp)
        config = directory / "config.toml"
        config.write_text(config_text(directory, [f"{base}/{i}.xml" for i in range(feeds)]))
        env = dict(os.environ)
        env.pop("SYNDICATE_DATABASE_URL", None)
        argv = [sys.executable, "-m", "syndicate", "--config", str(config)]
        run = measure(f"{feeds * entries} articles", [*argv, "poll", "--once", "--force"], env)
        largest, files, disk = ("-", 0), 0, 0
        kinds = dict.fromkeys(KINDS, 0)
        for path in (directory / "feeds").rglob("*"):
            if path.is_file():
                size = path.stat().st_size
                files += 1
                disk += size
                kinds[kind(path.relative_to(directory / "feeds"))] += size
                if size > largest[1] and path.suffix != ".gz":
                    largest = (str(path.relative_to(directory / "feeds")), size)
        # The output directory lost (a new disk, a new node): every archive page again.
        shutil.rmtree(directory / "feeds")
        rebuild = measure("rebuild", [*argv, "publish", "--force"], env)
        return Row(feeds * entries, run, largest, files, disk, kinds, rebuild)


def main() -> None:
    parser = argparse.ArgumentParser(description="first cycle over a backlog")
    parser.add_argument("--sizes", default="10000,30000,100000", help="articles, comma-separated")
    parser.add_argument("--entries", type=int, default=30, help="items per feed")
    args = parser.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"{size} articles …", flush=True)
        rows.append(run_size(size, args.entries))
    print(
        f"\n{'articles':>9} {'wall s':>8} {'CPU ms/art':>11} {'peak RSS MB':>12} "
        f"{'largest file':>40} {'MB':>7} {'files':>7} {'disk MB':>8} {'MB/1k art':>10}"
    )
    for r in rows:
        print(
            f"{r.articles:>9} {r.run.wall:>8.1f} {r.run.cpu / r.articles * 1000:>11.2f} "
            f"{r.run.rss_mb:>12.0f} {r.largest[0][-40:]:>40} {r.largest[1] / 1e6:>7.1f} "
            f"{r.files:>7} {r.disk / 1e6:>8.0f} {r.disk / 1e6 / r.articles * 1000:>10.1f}"
        )
    print(
        f"\n{'publish --force, empty output':>30} {'wall s':>8} {'CPU ms/art':>11} "
        f"{'peak RSS MB':>12}"
    )
    for r in rows:
        print(
            f"{r.articles:>30} {r.rebuild.wall:>8.1f} "
            f"{r.rebuild.cpu / r.articles * 1000:>11.2f} {r.rebuild.rss_mb:>12.0f}"
        )
    print(f"\n{'MB per 1,000 articles':>24}" + "".join(f"{r.articles:>10}" for r in rows))
    for name in KINDS:
        cells = "".join(f"{r.kinds[name] / 1e6 / r.articles * 1000:>10.1f}" for r in rows)
        print(f"{name:>24}{cells}")
    smallest, largest = rows[0].run.rss_mb, rows[-1].run.rss_mb
    print(f"\npeak RSS from the smallest to the largest: {largest / smallest:.2f}x (goal: 1.5x)")


if __name__ == "__main__":
    main()
