"""The documentation's code works as written.

- Every fenced ``python`` block of README.md and docs/ runs: most in order, one namespace per page
  (:func:`test_python_blocks_of_each_page_run`); the tutorials' files and registrations by tests of
  their own (:data:`RUN_BY_TEST`); a block that cannot run says why (:data:`NOT_RUN`).
- Every ``lifelong-pose ...`` command line the pages show is run by ``.ci/run`` or named by a test
  here (exact match after normalising whitespace), or allowed in :data:`NOT_RUN_COMMANDS` with the
  reason it cannot run on CI (a real dataset, a GPU, a Ray cluster).
- The sweep file on the Sweeps page is a valid grid.
"""

from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
CI = ROOT / ".ci" / "run"


def pages() -> list[Path]:
    """README.md and every Markdown page of the site."""
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", flags=re.MULTILINE | re.DOTALL)


def fenced(page: Path, *languages: str) -> list[tuple[str, str]]:
    """``(language, code)`` of every fenced block of ``page`` in one of ``languages``, in page order."""
    return [(lang, code) for lang, code in FENCE.findall(page.read_text(encoding="utf-8")) if lang in languages]


def block(page: str, language: str, *markers: str) -> str:
    """The one ``language`` block of ``page`` that contains every marker."""
    found = [code for _, code in fenced(ROOT / page, language) if all(marker in code for marker in markers)]
    assert len(found) == 1, f"{page}: {len(found)} {language} blocks contain {markers}, expected 1"
    return found[0]


# -- Python blocks -------------------------------------------------------------------------------

STRATEGY_PAGE = "docs/writing-a-strategy.md"
SCENARIO_PAGE = "docs/writing-a-scenario.md"

RUN_BY_TEST: dict[tuple[str, str], str] = {
    (STRATEGY_PAGE, "class FlipTeacher"): "test_strategy_tutorial_checks_runs_and_goes_on_a_board",
    (STRATEGY_PAGE, "lp.register_strategy("): "test_register_strategy_example_registers",
    (SCENARIO_PAGE, "def two_walkers"): "test_scenario_tutorial_registers_and_passes_its_checks",
    (SCENARIO_PAGE, "lp.register("): "test_scenario_tutorial_registers_and_passes_its_checks",
}
"""(page, a marker of the block) -> the test that runs it: a file saved and loaded, or a registration undone."""

NOT_RUN: dict[tuple[str, str], str] = {}
"""(page, a marker of the block) -> why it cannot run in the tests. None today: every block runs."""

# What a page's blocks must have left behind once run, beyond running without an error.
AFTERWARDS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "README.md": lambda ns: ns["exp"].domain.name == "3dhp_like",
    "docs/getting-started.md": lambda ns: ns["exp"].domain.name == "3dhp_like" and len(ns["bm"].test_stream) == 3,
    "docs/metrics.md": lambda ns: ns["R"][2][2] == 55.5,
}


def listed(page: str, code: str) -> list[tuple[str, str]]:
    """The keys of RUN_BY_TEST and NOT_RUN that name this block."""
    return [key for key in (*RUN_BY_TEST, *NOT_RUN) if key[0] == page and key[1] in code]


def plain_blocks(page: Path) -> list[str]:
    """The page's Python blocks that no test of their own runs and no reason keeps from running."""
    return [code for _, code in fenced(page, "python") if not listed(name(page), code)]


def test_every_python_block_runs_or_is_listed() -> None:
    blocks = [(name(page), code) for page in pages() for _, code in fenced(page, "python")]
    assert len(blocks) >= 7
    for page, code in blocks:
        assert len(listed(page, code)) <= 1 or len({RUN_BY_TEST.get(k) for k in listed(page, code)}) == 1, (
            f"{page}: a block matched by several entries: {listed(page, code)}"
        )
    for key in (*RUN_BY_TEST, *NOT_RUN):
        matches = [code for page, code in blocks if page == key[0] and key[1] in code]
        assert len(matches) == 1, f"{key}: names {len(matches)} blocks, expected exactly 1"
    for test in RUN_BY_TEST.values():
        assert callable(globals().get(test)) and test.startswith("test_"), f"{test} is not a test of this module"
    for key, reason in NOT_RUN.items():
        assert len(reason) > 20, f"{key}: say why it cannot run"
    assert set(AFTERWARDS) <= {name(page) for page in pages() if plain_blocks(page)}


@pytest.mark.parametrize("page", [name(page) for page in pages() if plain_blocks(page)])
def test_python_blocks_of_each_page_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A page's plain Python blocks run in order in one namespace (a later block may use an earlier one's names)."""
    monkeypatch.chdir(tmp_path)  # whatever a block writes lands in a temporary folder
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for code in plain_blocks(ROOT / page):
        exec(compile(code, page, "exec"), namespace)
    if page in AFTERWARDS:
        assert AFTERWARDS[page](namespace)


def cli(command: str) -> int:
    """Run a documented ``lifelong-pose ...`` command line in this process, as written."""
    from lifelong_pose.cli.main import main

    argv = shlex.split(command)
    assert argv[0] == "lifelong-pose"
    return main(argv[1:])


# the tutorial's commands, as the page shows them (test_every_command_shown_is_run_by_ci_or_a_test finds them here)
CHECK_FLIP_TEACHER = "lifelong-pose check strategy my_strategies.py:FlipTeacher"
DESCRIBE_FLIP_TEACHER = "lifelong-pose describe my_strategies.py:FlipTeacher"
INIT_BOARD = "lifelong-pose leaderboard init"
ADD_MINE = "lifelong-pose leaderboard add runs/mine"


def test_strategy_tutorial_checks_runs_and_goes_on_a_board(
    tiny_scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The tutorial's file, saved as the page says, passes ``check strategy``, runs from its file over three
    seeds (on a tiny stream), and is filed on a new board by the page's own commands."""
    import torch

    from lifelong_pose.cli.main import main
    from lifelong_pose.runner.checkpoint import load_checkpoint
    from lifelong_pose.runner.record import load_record

    page = (ROOT / STRATEGY_PAGE).read_text(encoding="utf-8")
    for command in (CHECK_FLIP_TEACHER, DESCRIBE_FLIP_TEACHER, INIT_BOARD, ADD_MINE):
        assert command in page
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_strategies.py").write_text(block(STRATEGY_PAGE, "python", "class FlipTeacher"))

    assert cli(CHECK_FLIP_TEACHER) == 0
    assert "FAIL" not in capsys.readouterr().out
    assert cli(DESCRIBE_FLIP_TEACHER) == 0
    described = capsys.readouterr().out
    assert "FlipTeacherParams" in described and "adapt_steps" in described

    # the page's board run, on a stream that trains in seconds: the same file, three seeds, runs/mine
    argv = ["run", "--scenario", tiny_scenario, "--strategy", "my_strategies.py:FlipTeacher", "--seeds", "0,1,2"]
    quick = ["--out", "runs/mine", "--epochs", "2", "--adapt-epochs", "2", "--quiet", "--no-report", "--device", "cpu"]
    assert main([*argv, *quick]) == 0
    record = load_record(tmp_path / "runs/mine/seed-0")
    assert record["strategy"]["id"] == "FlipTeacher" and record["strategy"]["entry_point"].endswith(":FlipTeacher")
    assert record["strategy"]["params"]["adapt_lr"] == 1e-3  # the tutorial's own default, not the base class's
    source, adapted = (load_checkpoint(tmp_path / "runs/mine/seed-0", i)["model"] for i in (0, 1))
    assert any(not torch.equal(source[key], adapted[key]) for key in source if key.endswith("weight"))  # it adapts
    assert record["matrices"]["mpjpe"][0] != record["matrices"]["mpjpe"][1]
    assert record["losses"][1]["terms"]["lifter"]["mean"] > 0

    from lifelong_pose.strategies.baselines import SourceOnly

    from lifelong_pose.registry import load_entry_point

    flip_teacher = load_entry_point("my_strategies.py:FlipTeacher")  # the defaults the tutorial sets, per profile
    assert flip_teacher.default_params("quick").adapt_steps == 500
    paper = flip_teacher.default_params("paper")
    assert paper.adapt_epochs == 10 and paper.adapt_lr == 1e-4
    assert paper.epochs == SourceOnly.default_params("paper").epochs  # the source trains as the built-ins' does

    capsys.readouterr()
    assert cli(INIT_BOARD) == 0 and (tmp_path / "leaderboard").is_dir()
    assert cli(ADD_MINE) == 0
    assert main(["leaderboard", "show", "--scenario", tiny_scenario]) == 0
    assert "FlipTeacher" in capsys.readouterr().out
    assert main(["leaderboard", "check"]) == 0


def test_register_strategy_example_registers() -> None:
    import lifelong_pose as lp

    exec(compile(block(STRATEGY_PAGE, "python", "lp.register_strategy("), STRATEGY_PAGE, "exec"), {})
    try:
        assert lp.strategy_registry.spec("flip_teacher").entry_point == "my_package.strategies:FlipTeacher"
    finally:
        lp.strategy_registry.unregister("flip_teacher-v0")


CHECK_TWO_WALKERS = "lifelong-pose check scenario two_walkers-v0"
DESCRIBE_TWO_WALKERS = "lifelong-pose describe two_walkers"


def test_scenario_tutorial_registers_and_passes_its_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The scenario page's file, saved as ``my_streams.py``, registers, passes every check, and the page's
    commands check and describe it."""
    import lifelong_pose as lp

    (tmp_path / "my_streams.py").write_text(block(SCENARIO_PAGE, "python", "def two_walkers"))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(__import__("sys").modules, "my_streams", raising=False)
    try:
        namespace: dict[str, Any] = {}
        exec(compile(block(SCENARIO_PAGE, "python", "lp.register("), SCENARIO_PAGE, "exec"), namespace)
        assert [domain.name for domain in namespace["scenario"].domains] == ["walker_S1", "walker_S5"]
        assert cli(CHECK_TWO_WALKERS) == 0
        assert "FAIL" not in capsys.readouterr().out
        assert cli(DESCRIBE_TWO_WALKERS) == 0
        assert "walker_S5" in capsys.readouterr().out
    finally:
        lp.scenario_registry.unregister("two_walkers-v0")


def test_sweep_file_on_the_sweeps_page_is_a_valid_grid(tmp_path: Path) -> None:
    from lifelong_pose.sweep.grid import build_grid, fit_shared_options, read_sweep_file

    path = tmp_path / "grid.yaml"
    path.write_text(block("docs/sweeps.md", "yaml", "strategies:"))
    grid = build_grid(read_sweep_file(path), {})
    grid.check()
    grid.rows = fit_shared_options(grid.rows)
    assert len(grid.runs()) == 12 and grid.rows[1].plugins == ("ema",)
    assert "adapt_steps" not in grid.rows[0].options and grid.rows[1].options["adapt_steps"] == 250


# -- command lines -------------------------------------------------------------------------------

NOT_RUN_COMMANDS: dict[str, str] = {
    "lifelong-pose data check DIR": "needs the real datasets' files in DIR (CI checks an exported folder instead)",
    "lifelong-pose run --scenario cross_dataset --data real --data-root DIR --strategy source_only": (
        "needs the real datasets' files (CI runs --data real on an exported folder instead)"
    ),
    "lifelong-pose describe cross_dataset --data real --data-root DIR": "needs the real datasets' files",
    "lifelong-pose run --scenario cross_scenario --strategy dakpose --data real --data-root DIR --profile paper": (
        "needs Human3.6M's files and a GPU (the paper profile)"
    ),
    "lifelong-pose run --scenario cross_dataset --strategy dakpose --data real --data-root DIR --profile paper": (
        "needs the three datasets' files and a GPU (the paper profile)"
    ),
    'lifelong-pose sweep sweeps/example.yaml --profile paper --gpus-per-run 1 --cpus-per-run 4 --address "$head:6379" '
    "--out /mnt/nfs/runs/paper-sweep": "needs a Slurm allocation with GPUs and a Ray cluster on it",
    **{
        f"lifelong-pose run --scenario cross_dataset --strategy dakpose --steps 1000{options} --no-cache": (
            "a measurement of about ten minutes each on 2 cores; CI runs the same code path in DAK-Pose's short look"
        )
        for options in (
            " --set discriminator_output=linear --set discriminator_normalise=false",
            " --set discriminator_output=sigmoid --set discriminator_normalise=false",
            " --set discriminator_output=sigmoid",
            "",
        )
    },
}
"""Command lines the pages show that CI cannot run, and why."""

SHELL_LANGUAGES = ("bash", "console", "shell", "sh", "text", "")


def joined(text: str) -> list[str]:
    """The lines of a shell text with backslash continuations joined."""
    return re.sub(r"\\\n", " ", text).splitlines()


def normal(command: str) -> str:
    return " ".join(command.split())


def shown_commands() -> dict[str, set[str]]:
    """Every ``lifelong-pose ...`` line of a shell or output block of the pages -> the pages that show it."""
    shown: dict[str, set[str]] = {}
    for page in pages():
        for _, code in fenced(page, *SHELL_LANGUAGES):
            for line in joined(code):
                line = line.strip().removeprefix("$ ")
                if line.startswith("lifelong-pose "):
                    command = normal(re.split(r"\s#\s", line, maxsplit=1)[0])
                    shown.setdefault(command, set()).add(name(page))
    return shown


REDIRECT = re.compile(r"\s*(?:\d?>>?\s*\S+|2>&1)")
ENV_PREFIX = re.compile(r"^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+")


def ci_commands() -> set[str]:
    """Every ``lifelong-pose ...`` command ``.ci/run`` runs, redirections and env assignments taken off."""
    found: set[str] = set()
    for line in joined(CI.read_text(encoding="utf-8")):
        if line.lstrip().startswith("#"):
            continue
        for part in re.split(r"&&|\|\||;|\(|\)", line):
            part = ENV_PREFIX.sub("", REDIRECT.sub("", part).strip())
            if part.startswith("lifelong-pose "):
                found.add(normal(part))
    return found


def strings_in_tests() -> set[str]:
    """Every string constant of the tests, whitespace normalised: a test that names a command runs it."""
    found: set[str] = set()
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(normal(node.value))
    return found


def test_every_command_shown_is_run_by_ci_or_a_test() -> None:
    shown = shown_commands()
    assert len(shown) > 40 and "lifelong-pose run --scenario cross_dataset --strategy diffusion_replay" in shown
    run = ci_commands() | strings_in_tests()
    missing = [
        f"{command}   ({', '.join(sorted(where))})"
        for command, where in sorted(shown.items())
        if command not in run and command not in NOT_RUN_COMMANDS
    ]
    assert not missing, "shown but neither in .ci/run nor in a test:\n" + "\n".join(missing)
    stale = [command for command in NOT_RUN_COMMANDS if command not in shown]
    assert not stale, f"allowed but no longer shown: {stale}"


def test_command_extraction_reads_what_the_pages_and_ci_write() -> None:
    """The parsers behind the command check: comments, prompts, continuations, redirections and subshells."""
    ci = ci_commands()
    assert "lifelong-pose describe poseda" in ci  # written with > /dev/null
    assert "lifelong-pose leaderboard add runs/so3" in ci  # inside a (cd ... && ...) subshell
    assert "lifelong-pose run --scenario cross_dataset --strategy oracle --quiet" in shown_commands()  # a $ prompt
    assert "lifelong-pose list scenarios" in shown_commands()  # with a trailing comment
    assert CHECK_FLIP_TEACHER in strings_in_tests()


def test_readme_test_command_is_the_one_ci_runs() -> None:
    """CI's last line and the README's test command are the same command."""
    last = CI.read_text(encoding="utf-8").strip().splitlines()[-1]
    assert block("README.md", "bash", "pytest").strip() == last


def test_readme_links_into_the_site_resolve() -> None:
    """README.md is not part of the site, so `mkdocs build --strict` does not check its links: this does."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(((?!https?://)[^)#]+)(?:#[^)]*)?\)", readme)
    assert len(targets) >= 15 and all(target.startswith("docs/") for target in targets)
    missing = [target for target in targets if not (ROOT / target).is_file()]
    assert not missing, f"README.md links to files that do not exist: {missing}"
