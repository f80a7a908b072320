"""The package's import graph: no cycles, the engine never imports a method, listings stay light.

The graph is read from the source with ``ast`` (function-level imports included, ``if
TYPE_CHECKING:`` blocks left out: they never run), so a lazy import that closes a cycle counts too.
An edge goes to the most specific module an import names (``from a.b import c`` -> ``a.b.c`` when
``c`` is a module, else ``a.b``), as import-linter and pydeps draw them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
# the installed package's layout (pyproject's package-dir): engine, built-in strategies, built-in scenarios
ROOTS = {
    "lifelong_pose": REPOSITORY / "lifelong_pose",
    "lifelong_pose.strategies": REPOSITORY / "strategies",
    "lifelong_pose.scenarios": REPOSITORY / "scenarios",
}


def _modules() -> dict[str, Path]:
    modules = {}
    for package, root in ROOTS.items():
        for path in root.rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join([package, *parts])] = path
    return modules


def _type_checking_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (anywhere in the file, outside TYPE_CHECKING)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        skipped = {id(n) for block in ast.walk(tree) if _type_checking_block(block) for n in ast.walk(block)}
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                graph[name] |= {alias.name for alias in node.names if alias.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in modules:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    graph[name].add(submodule if submodule in modules else node.module)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_engine_imports_no_strategy_scenario_or_method_network() -> None:
    """Built-in methods and streams are plugins of the engine: it reaches them only by registry strings."""
    offenders = {
        module: sorted(
            target for target in targets if target.startswith(("lifelong_pose.strategies", "lifelong_pose.scenarios"))
        )
        for module, targets in import_graph().items()
        if not module.startswith(("lifelong_pose.strategies", "lifelong_pose.scenarios"))
    }
    assert {module: targets for module, targets in offenders.items() if targets} == {}


def test_the_registry_is_the_lowest_layer() -> None:
    graph = import_graph()
    registry = [module for module in graph if module.startswith("lifelong_pose.registry")]
    above = {
        module: sorted(t for t in graph[module] if not t.startswith("lifelong_pose.registry")) for module in registry
    }
    assert {module: targets for module, targets in above.items() if targets} == {}


@pytest.mark.parametrize(
    "command",
    [
        "import lifelong_pose.cli.main",
        "import lifelong_pose; lifelong_pose.strategy_registry.all(); lifelong_pose.lifter_registry.all()",
    ],
)
def test_listing_paths_import_no_torch(command: str) -> None:
    code = f"{command}; import sys; print('torch' in sys.modules, 'avalanche' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_seeds_are_pinned_so_published_streams_and_resumed_runs_stay_the_same() -> None:
    """Changing either formula changes every simulated stream or every run: a new version of each."""
    from lifelong_pose.seeding import derive_seed, world_seed

    assert derive_seed(0, "domain", 1) == 1619887004
    assert world_seed(0, "bodies", "h36m") == 7542784944905127156


def test_the_real_data_readers_do_not_import_the_simulator() -> None:
    """Both backends produce ``lifelong_pose.data.DomainData``; reading real files needs no simulated world
    (exporting the simulated world in the field's formats does, by its nature)."""
    graph = import_graph()
    readers = [m for m in graph if m.startswith("lifelong_pose.datasets") and m != "lifelong_pose.datasets.export"]
    offenders = {m: sorted(t for t in graph[m] if t.startswith("lifelong_pose.world")) for m in readers}
    assert {m: targets for m, targets in offenders.items() if targets} == {}


def test_third_party_import_noise_is_filtered_and_our_warnings_stay() -> None:
    import subprocess
    import sys

    code = "import lifelong_pose, avalanche.training, warnings; warnings.warn('ours')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "QP solver" not in done.stderr
    assert "UserWarning: ours" in done.stderr
