#!/usr/bin/env bash
# Time the paper protocol of every built-in stream on one GPU: the figures a user with a GPU reports.
#
#   bash benchmarks/gpu_profile.sh [OUT]            # default OUT: runs/gpu_profile
#
# For each stream: source_only with VideoPose3D at receptive field 243 (the paper's lifter and
# sizes), data resident on the device, tested on whole sequences; then benchmarks/speed.py on the
# device. Writes OUT/gpu_profile.md with each stream's wall time, training and testing seconds
# (from the run records) and the GPU's name. Settings through the environment:
#   DEVICE (cuda)  SCENARIOS (cross_scenario cross_dataset cross_camera long_stream)
#   STRATEGY (source_only)  LIFTER (videopose)  RF (243)  PROFILE (paper)
#   EXTRA ("", e.g. "--steps 20"), SPEED_ARGS (options of speed.py); CI's smoke run:
#   DEVICE=cpu PROFILE=quick RF=27 EXTRA="--steps 2" SPEED_ARGS="--profiles quick --steps 3" SCENARIOS=cross_scenario
set -euo pipefail
out="${1:-runs/gpu_profile}"
device="${DEVICE:-cuda}"
scenarios="${SCENARIOS:-cross_scenario cross_dataset cross_camera long_stream}"
strategy="${STRATEGY:-source_only}"
lifter="${LIFTER:-videopose}"
rf="${RF:-243}"
profile="${PROFILE:-paper}"
extra="${EXTRA:-}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out"
if [ "$device" = cuda ]; then
    python -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'no CUDA device: set DEVICE=cpu for a smoke run')"
fi
for scenario in $scenarios; do
    run_dir="$out/$scenario"
    resume=""
    if [ -f "$run_dir/seed-0/result.json" ]; then resume="--resume"; fi
    # shellcheck disable=SC2086  # EXTRA holds several options
    lifelong-pose run --scenario "$scenario" --strategy "$strategy" --profile "$profile" --device "$device" \
        --lifter "$lifter" --receptive-field "$rf" --no-cache --quiet --no-report --out "$run_dir" $resume $extra
done
python - "$out" "$device" "$profile" $scenarios <<'EOF'
import json
import sys
from pathlib import Path

import torch

out, device, profile, scenarios = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
name = torch.cuda.get_device_name() if device == "cuda" else "CPU"
lines = [f"# The {profile} profile on {name} (`bash benchmarks/gpu_profile.sh`, torch {torch.__version__})", ""]
lines += ["| stream | strategy | lifter | source budget | train s | test s | total s |", "|---|---|---|---|---|---|---|"]
for scenario in scenarios:
    record = json.loads((out / scenario / "seed-0" / "result.json").read_text())
    timing, params = record["timing"], record["strategy"]["params"]
    train = sum(d["train_s"] for d in timing["domains"])
    test = sum(d["eval_s"] for d in timing["domains"])
    budget = f"{params['epochs']} epochs" if params.get("epochs") else f"{params['steps']} steps"
    lifter = f"{params['lifter']} rf {params['receptive_field']}"
    lines.append(
        f"| {record['scenario']['id']} | {record['strategy']['id']} | {lifter} | {budget} "
        f"| {train:.0f} | {test:.0f} | {timing['total_s']:.0f} |"
    )
(out / "gpu_profile.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
# shellcheck disable=SC2086
python "$here/speed.py" --device "$device" --skip-projection ${SPEED_ARGS:-} --results "$out/speed.md" > /dev/null
echo "written: $out/gpu_profile.md, $out/speed.md"
