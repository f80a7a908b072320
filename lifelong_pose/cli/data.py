"""``lifelong-pose data check`` and ``data export``: a real-data folder's contents, and the
simulated world written in the field's formats. Heavy imports happen inside the handlers."""

from __future__ import annotations

import argparse
import json
from typing import Any

from lifelong_pose.datasets.spec import H36M_2D as H36M_2D_CHOICES
from lifelong_pose.datasets.spec import PROTOCOLS as PROTOCOL_CHOICES


def data_backends() -> list[str]:
    """The registered data backends (``--data`` choices): ``sim``, ``real`` and any plugin's."""
    from lifelong_pose.registry import data_backend_registry

    return [spec.id for spec in data_backend_registry]


def add_real_data_options(parser: argparse.ArgumentParser) -> None:
    """The options that pick and read the real backend (shared by run, describe and preview)."""
    parser.add_argument("--data-root", default=None, metavar="DIR", help="folder of the real datasets' files")
    parser.add_argument(
        "--protocol",
        default=None,
        choices=PROTOCOL_CHOICES,
        help="where targets adapt: their train split (inductive) or their test split's 2D (transductive); "
        "default: each domain's (real 3DHP: transductive)",
    )
    parser.add_argument(
        "--h36m-2d", default="gt", choices=H36M_2D_CHOICES, help="Human3.6M 2D keypoints file (default: gt)"
    )
    parser.add_argument(
        "--no-valid-mask", action="store_true", help="real 3DHP: keep every frame, not only those marked valid"
    )


def add_data_commands(data_commands: Any) -> None:
    check = data_commands.add_parser(
        "check",
        help="what a real-data folder holds and which scenarios it can run (exit 0 ready, 1 missing, 3 corrupt)",
    )
    check.add_argument("root", metavar="DIR", help="the data folder")
    check.add_argument("--scenario", action="append", default=None, help="check only this scenario (repeatable)")
    check.add_argument("--h36m-2d", default="gt", choices=H36M_2D_CHOICES, help="H3.6M 2D file (default: gt)")
    check.add_argument("--no-fingerprints", action="store_true", help="skip the files' SHA-256 (faster)")
    check.add_argument("--json", action="store_true", help="machine-readable output")

    export = data_commands.add_parser(
        "export", help="write a scenario's simulated data in VideoPose3D or PoseAug format"
    )
    export.add_argument("--scenario", required=True, help="scenario id")
    export.add_argument("--format", required=True, choices=["videopose3d", "poseaug"], dest="fmt")
    export.add_argument("--out", required=True, metavar="DIR", help="a new or empty folder")
    export.add_argument("--force", action="store_true", help="write into a folder that already holds files")
    export.add_argument("--seed", type=int, default=0, help="world seed (default: 0)")
    export.add_argument("--profile", default="quick", choices=["quick", "paper"], help="sizes (default: quick)")


def check_command(args: argparse.Namespace) -> int:
    from lifelong_pose.datasets.check import check_folder

    report = check_folder(args.root, args.scenario, h36m_2d=args.h36m_2d, fingerprints=not args.no_fingerprints)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return report.exit_code
    from tabulate import tabulate

    print(f"Data folder: {report.root}")
    print(f"Recognised files: {', '.join(report.present) or 'none'}\n")
    rows = []
    for part in report.parts:
        row: dict[str, Any] = {"dataset": part.dataset, "part": part.part, "status": part.status}
        if part.status == "ok":
            row.update(
                {
                    "files": ", ".join(part.files),
                    "views": part.views,
                    "frames": part.frames,
                    "joints": part.joints,
                    "3D": "yes" if part.with_3d else "no",
                    "bone (m)": part.median_bone_m,
                    "cam fit (px)": part.camera_fit_rms_px if part.camera_fit_rms_px is not None else "",
                    "fps": ", ".join(f"{f:g}" for f in part.fps),
                }
            )
        rows.append(row)
    print(tabulate(rows, headers="keys"))
    ignored = [member for part in report.parts for member in part.ignored]
    if ignored:
        print(f"\nIgnored (no reader uses them; never read): {', '.join(dict.fromkeys(ignored))}")
    for part in report.parts:
        if part.error:
            print(f"  {part.dataset} {part.part}: {part.error}")
    print()
    for scenario in report.scenarios:
        print(f"{scenario.id}: {'ready' if scenario.ready else 'NOT ready'}")
        for problem in scenario.problems:
            print(f"  - {problem}")
    fingerprinted = [(name, digest) for part in report.parts for name, digest in part.fingerprints.items()]
    if fingerprinted:
        print("\nSHA-256:")
        for name, digest in dict(fingerprinted).items():
            print(f"  {digest}  {name}")
    print(f"\nStatus: {report.status} (exit code {report.exit_code})")
    return report.exit_code


def export_command(args: argparse.Namespace) -> int:
    import lifelong_pose as lp
    from lifelong_pose.datasets.export import export_scenario

    scenario = lp.make(args.scenario, data="sim", seed=args.seed, profile=args.profile)
    manifest = export_scenario(scenario, args.out, args.fmt, force=args.force)
    print(
        f"Wrote {scenario.spec.id} ({', '.join(scenario.domain_names)}) as {args.fmt} to {args.out} ({manifest.name})"
    )
    return 0
