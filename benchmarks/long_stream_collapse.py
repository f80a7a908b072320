"""Does diffusion_replay's stop on long_stream's last domain depend on the domains before it?

On long_stream-v2 the size guard stops diffusion_replay on every seed on the last domain,
tall_outdoor (its predictions shrink to about 0.7x of what the lifter predicted on entering it).
Two explanations fit that alone: the domain itself (tall, long-limbed bodies outdoors, far from the
source) or what the stream did to the lifter before it. This script separates them by running the
same domain at the end of parts of the stream, each registered as its own scenario
(``long_stream_part_<name>-v0``) made of long_stream-v2's own domain specs, so every domain holds
the same data as in the whole stream:

- ``source_then_tall``: the source, then tall_outdoor (nothing before it);
- ``after_small``: the source, small_bodies (0.8x, the domain before it in the stream), tall_outdoor;
- ``after_3dpw``: the source, 3dpw_like (the same outdoor world with ordinary bodies), tall_outdoor;
- ``without_small``: the whole stream without small_bodies;
- ``whole``: long_stream-v2 itself.

Rows: ``diffusion_replay`` (default options) and ``source_only``, seeds 0-2, sim, quick. Per part it
reports how many seeds the guard stopped (with the size ratio from each error), the predicted /
true pose size on tall_outdoor's test split of the lifter entering it and after adapting to it, the
error there right after adapting, and ``source_only``'s error there (not adapted).

A second table removes one piece of diffusion_replay at a time on ``source_then_tall`` (the shortest
part that still stops; ``--ablations``): the guard itself (to see the error it prevented), the
bone-length and depth changes of the augmentation, each 2D term, the prior, the EMA, the frozen
teacher, generation seeded on predictions; with PoseDA beside it, with and without its global
position alignment (GPA: the placement diffusion_replay shares and has no option to switch off).

    python benchmarks/long_stream_collapse.py [--seeds 0,1,2] [--parts whole,...] [--ablations "no prior,..."]
        [--out runs/long_stream_collapse] [--results FILE]

Finished runs are reused (folders are resumed): ``--out`` may be the published board's run folder,
whose ``long_stream`` runs then stand for ``whole``.
"""

from __future__ import annotations

import argparse
import functools
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from poseda_scale import size_ratio  # benchmarks/ is on sys.path when a script runs
from results_file import write_results
from strategy_table import Row, add_budget_arguments, budget_flags, hardware, row_folder, run_row
from tabulate import tabulate

from lifelong_pose.cli.run import parse_seeds
from lifelong_pose.data.domain import DomainData
from lifelong_pose.runner.tables import mean_std_cell
from lifelong_pose.stream import Profile, StreamDefinition

LAST = 11  # tall_outdoor's index in long_stream-v2
PARTS: dict[str, tuple[int, ...] | None] = {  # indices into long_stream-v2's domains; None: the stream itself
    "source_then_tall": (0, LAST),
    "after_small": (0, 10, LAST),
    "after_3dpw": (0, 4, LAST),
    "without_small": tuple(i for i in range(LAST + 1) if i != 10),
    "whole": None,
}
ROWS: dict[str, Row] = {"diffusion_replay": ("diffusion_replay", {}, []), "source_only": ("source_only", {}, [])}
ABLATIONS: dict[str, Row] = {  # one piece of diffusion_replay removed at a time, on source_then_tall
    "no size guard": ("diffusion_replay", {"max_size_drift": 100.0}, []),
    "no bone-length change": ("diffusion_replay", {"length_limit": 0.0}, []),
    "no depth change": ("diffusion_replay", {"depth_limit": 0.0}, []),
    "no absolute 2D term": ("diffusion_replay", {"weight_2d": 0.0}, []),
    "no shape 2D term": ("diffusion_replay", {"weight_normalised_2d": 0.0}, []),
    "no prior": ("diffusion_replay", {"prior": "none"}, []),
    "no EMA": ("diffusion_replay", {"ema": False}, []),
    "live teacher": ("diffusion_replay", {"teacher": "live"}, []),
    "source-seeded generation": ("diffusion_replay", {"generation_seed": "source"}, []),
    "poseda": ("poseda", {}, []),
    "poseda without GPA": ("poseda", {"gpa": False}, []),  # PoseDA's placement is the one diffusion_replay uses
}
SIZE_RATIO = re.compile(r"drifted to ([0-9.]+)x the size the lifter predicted on entering domain \d+ \(([^)]+)\)")


def long_stream_part(profile: Profile = "quick", keep: Sequence[int] = ()) -> StreamDefinition:
    """long_stream-v2's domains at the indices ``keep``, in that order (the same specs, so the same data)."""
    from lifelong_pose.scenarios.streams_v2 import long_stream_v2

    domains = tuple(long_stream_v2(profile).domains[index] for index in keep)
    return StreamDefinition(f"long_stream-v2, domains {' -> '.join(d.name for d in domains)}", domains)


def scenario_id(part: str) -> str:
    """The registered id of a part (registered on first use); ``whole`` is long_stream-v2 itself."""
    from lifelong_pose.registry import scenario_registry

    keep = PARTS[part]
    if keep is None:
        return "long_stream"
    scenario = f"long_stream_part_{part}-v0"
    if scenario not in scenario_registry:
        scenario_registry.register(scenario, "long_stream_collapse:long_stream_part", keep=keep)
    return scenario


def stops(records: Sequence[dict[str, Any]]) -> str:
    """How many seeds the guard stopped, with the size ratio and domain each error names."""
    failed = [record for record in records if record["status"] == "failed"]
    if not failed:
        return f"0 of {len(records)}"
    where = []
    for record in failed:
        found = SIZE_RATIO.search(record["error"] or "")
        where.append(f"{found.group(1)}x on {found.group(2)}" if found else record["error"])
    return f"{len(failed)} of {len(records)} ({'; '.join(where)})"


def last_domain_error(records: Sequence[dict[str, Any]], *, adapted: bool) -> str:
    """MPJPE on the last domain: right after adapting to it (R[-1, -1]) or before any adaptation (R[0, -1])."""
    done = [record["matrices"]["mpjpe"] for record in records if record["status"] == "complete"]
    return mean_std_cell([R[-1][-1] if adapted else R[0][-1] for R in done]) if done else "stopped"


def sizes(scenario: str, folder: Path, records: Sequence[dict[str, Any]], *, entering: bool) -> str:
    """Predicted / true pose size on the last domain's test split, mean ± std over seeds: the lifter
    as it entered that domain (every seed), or right after adapting to it (the seeds that finished).

    Why: the size guard measures drift against the lifter's own prediction on entering the domain,
    not against the truth; this says which way the truth lies.
    """
    from lifelong_pose.runner.checkpoint import lifter_after

    last, test = _last_test_split(scenario)
    chosen = records if entering else [record for record in records if record["status"] == "complete"]
    ratios = [
        size_ratio(lifter_after(folder / f"seed-{record['seed']}", record, last - 1 if entering else last), test)
        for record in chosen
    ]
    return mean_std_cell(ratios, digits=2) if ratios else "stopped"


@functools.cache
def _last_test_split(scenario: str) -> tuple[int, DomainData]:
    """The last domain's index and test split (built once per stream)."""
    import lifelong_pose as lp

    stream = lp.make(scenario)
    return stream.num_domains - 1, stream.test_data(stream.num_domains - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=parse_seeds, default=[0, 1, 2])
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {list(PARTS)}; or none")
    parser.add_argument("--ablations", default=",".join(ABLATIONS), help="comma-separated rows of ABLATIONS; or none")
    parser.add_argument("--out", default="runs/long_stream_collapse", help="run folders (resumed if present)")
    parser.add_argument(
        "--results", default=str(Path(__file__).parent / "results" / "long_stream_collapse.md"), help="Markdown file"
    )
    parser.add_argument("--device", default="cpu")
    add_budget_arguments(parser)  # smoke runs (CI); the results file uses the defaults
    args = parser.parse_args()
    parts, ablations = _names(parser, args.parts, PARTS, "parts"), _names(parser, args.ablations, ABLATIONS, "rows")

    def records(scenario: str, name: str, row: Row) -> list[dict[str, Any]]:
        return run_row(scenario, name, row, args.seeds, Path(args.out), args.steps, args.adapt_steps, args.device)

    def folder(scenario: str, name: str) -> Path:
        return row_folder(Path(args.out), scenario, name, args.steps, args.adapt_steps)

    command = (
        f"python benchmarks/long_stream_collapse.py --seeds {','.join(map(str, args.seeds))} "
        f'--parts {",".join(parts) or "none"} --ablations "{",".join(ablations) or "none"}"'
    ) + budget_flags(args)
    lines = [
        "# Does diffusion_replay's stop on long_stream's last domain depend on the domains before it?",
        "",
        f"Made by `{command}` on {hardware(args.device)}; long_stream-v2's domain specs (sim, quick profile, "
        "world seed 0). MPJPE in mm, mean ± std over the seeds that finished; sizes are predicted / true mean "
        "joint distance from the root on tall_outdoor's test split.",
        "",
    ]
    if parts:
        table = []
        for part in parts:
            scenario = scenario_id(part)
            adapted, unadapted = (records(scenario, name, row) for name, row in ROWS.items())
            runs = folder(scenario, "diffusion_replay")
            table.append(
                [
                    part,
                    len(PARTS[part] or range(LAST + 1)),
                    stops(adapted),
                    sizes(scenario, runs, adapted, entering=True),
                    sizes(scenario, runs, adapted, entering=False),
                    last_domain_error(adapted, adapted=True),
                    last_domain_error(unadapted, adapted=False),
                ]
            )
        headers = [
            "part (ends in tall_outdoor)",
            "domains",
            "diffusion_replay: seeds stopped by the size guard",
            "predicted / true size on tall_outdoor, entering it",
            "the same after adapting",
            "diffusion_replay on tall_outdoor after adapting",
            "source_only on tall_outdoor (not adapted)",
        ]
        lines += ["## The domains before it", "", tabulate(table, headers=headers, tablefmt="github"), ""]
    if ablations:
        scenario = scenario_id("source_then_tall")
        rows = ROWS | {name: ABLATIONS[name] for name in ablations}  # source_only: tall_outdoor not adapted
        table = []
        for name, row in rows.items():
            done = records(scenario, name, row)
            finished = [record["matrices"]["mpjpe"] for record in done if record["status"] == "complete"]
            source_after = mean_std_cell([R[-1][0] for R in finished]) if finished else "stopped"
            size = sizes(scenario, folder(scenario, name), done, entering=name == "source_only")  # the source lifter
            table.append([name, stops(done), size, last_domain_error(done, adapted=True), source_after])
        headers = ["on source_then_tall", "seeds stopped by the size guard",
                   "predicted / true size on tall_outdoor after adapting", "tall_outdoor after adapting",
                   "source after adapting"]  # fmt: skip
        lines += ["## One piece removed at a time (source_then_tall)", "", tabulate(table, headers, "github"), ""]
    write_results(args.results, lines)


def _names(parser: argparse.ArgumentParser, text: str, known: dict[str, Any], what: str) -> list[str]:
    """The comma-separated names of ``text`` (none for ``none``), each one of ``known``."""
    names = [] if text.strip() == "none" else [name.strip() for name in text.split(",")]
    unknown = sorted(set(names) - set(known))
    if unknown:
        parser.error(f"unknown {what} {unknown}; known: {list(known)}")
    return names


if __name__ == "__main__":
    main()
