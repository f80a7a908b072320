"""What a user reads speaks of the suite, not of how it was made.

README.md, every page under docs/, every docstring and string literal of the package, the built-in
strategies and the benchmark scripts, and every help text of the CLI are scanned for words that
belong to work tracking rather than to the suite: "brief", "issue(s)", "session(s)", "the bar" /
"'s bar" (a target to meet), references to DESIGN.md or to ../shared (files outside the
repository), and papers named by a work number ("seed 000"). A failure names each file and line.
"""

from __future__ import annotations

import argparse
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("brief", re.compile(r"\bbriefs?\b", re.IGNORECASE)),
    ("issue", re.compile(r"\bissues?\b", re.IGNORECASE)),
    ("session", re.compile(r"\bsessions?\b", re.IGNORECASE)),
    ("bar (a target)", re.compile(r"\bthe bar\b|['’]s bar\b", re.IGNORECASE)),
    ("DESIGN.md", re.compile(r"DESIGN\.md", re.IGNORECASE)),
    ("../shared", re.compile(r"\.\./shared\b")),
    ("seed 00N", re.compile(r"\bseed 00\d", re.IGNORECASE)),
)


def hits(text: str, where: str, first_line: int = 1) -> Iterator[str]:
    """``where:line: [word] line text`` for every process word in ``text`` (its first line numbered ``first_line``)."""
    for offset, line in enumerate(text.splitlines()):
        for word, pattern in WORDS:
            if pattern.search(line):
                yield f"{where}:{first_line + offset}: [{word}] {line.strip()}"


FIELD = re.compile(r"\{[^{}]*\}")


def words_of(literal: str) -> str:
    """A string literal's text as a reader sees it: an f-string's replacement fields (code) blanked out."""
    prefix = literal[: len(literal) - len(literal.lstrip("rRbBuUfF"))]
    if "f" not in prefix.lower():
        return literal
    text = literal.replace("{{", "\0").replace("}}", "\1")
    while FIELD.search(text):  # innermost fields first: a format spec may hold a field of its own
        text = FIELD.sub("\2", text)
    return text.replace("\2", "{}").replace("\0", "{").replace("\1", "}")


def python_strings(path: Path) -> Iterator[tuple[str, int]]:
    """Every string literal of a Python file (docstrings and f-strings included), with its first line."""
    with path.open("rb") as source:
        for token in tokenize.tokenize(source.readline):
            if token.type == tokenize.STRING:
                yield words_of(token.string), token.start[0]


def python_hits(paths: list[Path], root: Path = ROOT) -> list[str]:
    found: list[str] = []
    for path in paths:
        where = str(path.relative_to(root))
        for text, line in python_strings(path):
            found.extend(hits(text, where, line))
    return found


def parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """``parser`` and every subcommand's parser under it."""
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield from parsers(sub)


def report(found: list[str]) -> str:
    return f"{len(found)} process word(s):\n" + "\n".join(found)


def test_readme_and_docs_have_no_process_words() -> None:
    pages = [ROOT / "README.md", ROOT / "mkdocs.yml", *sorted((ROOT / "docs").rglob("*.md"))]
    found = [hit for page in pages for hit in hits(page.read_text(encoding="utf-8"), str(page.relative_to(ROOT)))]
    found += python_hits(sorted((ROOT / "docs").rglob("*.py")))
    assert not found, report(found)


def test_package_strategy_and_benchmark_strings_have_no_process_words() -> None:
    paths = [
        *sorted((ROOT / "lifelong_pose").rglob("*.py")),
        *sorted((ROOT / "strategies").rglob("*.py")),
        *sorted((ROOT / "benchmarks").glob("*.py")),
    ]
    assert len(paths) > 50  # the scan reads the whole package, not an empty folder
    found = python_hits(paths)
    assert not found, report(found)


def test_cli_help_has_no_process_words() -> None:
    from lifelong_pose.cli.main import build_parser

    helps = {" ".join(sub.prog.split()): sub.format_help() for sub in parsers(build_parser())}
    assert {"lifelong-pose run", "lifelong-pose leaderboard add", "lifelong-pose data export"} <= set(helps)
    found = [hit for prog, text in helps.items() for hit in hits(text, f"`{prog} --help`")]
    assert not found, report(found)


def test_the_scan_finds_each_word() -> None:
    """Each pattern catches its word in context, and leaves alone the words that only look like one."""
    caught = "\n".join(
        [
            "as the brief asks",
            "see issue 12",
            "GitHub issues",
            "in this session",
            "it clears the bar",
            "the paper's bar",
            "see DESIGN.md",
            "read ../shared/notes",
            "the method of seed 003",
        ]
    )
    assert len(list(hits(caught, "x"))) == 9
    innocent = "briefly trained; a progress bar; world seed 0; seed 0, 1, 2; barely; a shared volume; tissue"
    assert not list(hits(innocent, "x"))


def test_python_strings_are_scanned_with_their_lines_and_comments_are_not(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        '"""Module.\n\nNothing here."""\n\nx = 1  # one session, in a comment\n'
        'y = f"the {x} session"\nz = f"{session[\'key\']} and {{braces}}"\n'
    )
    assert python_hits([source], root=tmp_path) == ['m.py:6: [session] f"the {} session"']
    assert words_of("f\"{session['key']:g} and {{braces}}\"") == 'f"{} and {braces}"'
