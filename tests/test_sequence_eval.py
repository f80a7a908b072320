"""Testing whole sequences through a lifter's sequence path, and not testing an unchanged lifter twice."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import torch
from avalanche.core import SupervisedPlugin

import lifelong_pose as lp
from lifelong_pose.data import TensorBatches
from lifelong_pose.data.sequence_batches import SequenceBatches, SequenceChunk, padded_layout
from lifelong_pose.runner.run import RunConfig, run
from lifelong_pose.training import RunContext, metric_key
from lifelong_pose.training.build import make_strategy


@pytest.fixture
def scenario(tiny_scenario: str):
    return lp.make(tiny_scenario)


def _with_sequences(data: Any, lengths: list[int]) -> Any:
    """The first sum(lengths) frames of ``data`` cut into sequences of ``lengths`` (frame indices restart)."""
    n = sum(lengths)
    sequence_id = torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths))
    frame_index = torch.cat([torch.arange(length) for length in lengths])
    cut = {name: getattr(data, name)[:n] for name in ("x2d", "visible", "intrinsics", "image_size", "camera_id")}
    cut |= {name: getattr(data, name)[:n] for name in ("body_id", "action_id")}
    cut |= {"X3d": None if data.X3d is None else data.X3d[:n], "root": None if data.root is None else data.root[:n]}
    return replace(data, sequence_id=sequence_id, frame_index=frame_index, **cut)


def test_padded_layout_by_hand(scenario) -> None:
    data = _with_sequences(scenario.train_data(0), [3, 1, 4])  # frames 0-2 | 3 | 4-7
    gather, centre = padded_layout(data, receptive_field=5)  # two copies of each edge frame
    assert gather.tolist() == [0, 0, 0, 1, 2, 2, 2, *[3] * 5, 4, 4, 4, 5, 6, 7, 7, 7]
    assert centre.tolist() == [2, 3, 4, 9, 14, 15, 16, 17]
    windows = data.window_indices(5)  # the window path's clamped windows, frame by frame
    for frame in range(len(data)):
        assert gather[centre[frame] - 2 : centre[frame] + 3].tolist() == windows[frame].tolist()


@pytest.mark.parametrize("frames_per_chunk", [1, 5, 4096])
def test_chunks_hold_every_frames_window_once(scenario, frames_per_chunk: int) -> None:
    data = _with_sequences(scenario.train_data(0), [5, 1, 12, 6])
    chunks = list(SequenceBatches(data, receptive_field=9, frames_per_chunk=frames_per_chunk))
    assert len(chunks) == -(-len(data) // frames_per_chunk)
    windows = next(iter(TensorBatches(data, receptive_field=9, batch_size=len(data))))
    ids = torch.cat([chunk.ids for chunk in chunks])
    assert ids.tolist() == list(range(len(data)))
    rebuilt = torch.cat(
        [torch.stack([chunk.x2d[0, p : p + 9] for p in chunk.positions.tolist()]) for chunk in chunks]
    )  # the 9 padded frames from each kept output position are the frame's window
    assert torch.equal(rebuilt, windows.x2d)
    assert torch.equal(torch.cat([chunk.X3d for chunk in chunks]), windows.X3d)


def test_sequence_chunk_refuses_mismatched_parts() -> None:
    with pytest.raises(ValueError, match=r"x2d must be \(1, L, J, 2\)"):
        SequenceChunk(
            torch.zeros(2, 9, 17, 2), torch.zeros(1, dtype=torch.long), torch.zeros(1, 9), None, torch.zeros(1)
        )
    with pytest.raises(ValueError, match="3 positions but intrinsics"):
        SequenceChunk(
            torch.zeros(1, 9, 17, 2), torch.zeros(3, dtype=torch.long), torch.zeros(2, 9), None, torch.zeros(3)
        )


def _trained_videopose(scenario, test_flip: bool = False) -> Any:
    context = RunContext(num_joints=17, layout="h36m17", profile="quick", device="cpu", seed=0, test_flip=test_flip)
    strategy = make_strategy("source_only", context=context, lifter="videopose", receptive_field=27, steps=30)
    benchmark = scenario.avalanche_benchmark(27)
    strategy.train(benchmark.train_stream[0], eval_streams=[])
    return strategy, benchmark


@pytest.mark.parametrize("test_flip", [False, True])
def test_sequence_path_gives_the_window_paths_errors(scenario, test_flip: bool) -> None:
    strategy, benchmark = _trained_videopose(scenario, test_flip)
    assert strategy.tests_sequences
    by_sequences = strategy.eval(benchmark.test_stream)
    strategy.window_tests = True
    assert not strategy.tests_sequences
    by_windows = strategy.eval(benchmark.test_stream)
    for key in ("mpjpe", "pa_mpjpe", "pck", "auc"):
        for domain in range(len(benchmark.test_stream)):
            name = metric_key(key, domain)
            # float32 sums in another order: agree to far below a table's 0.1 (mm, %)
            assert by_sequences[name] == pytest.approx(by_windows[name], abs=1e-3), name
    # and pose by pose, to float32 rounding of metre-sized values
    data = benchmark.test_stream[1].tensors
    strategy.model.eval()
    with torch.no_grad():
        chunk = next(iter(SequenceBatches(data, receptive_field=27, frames_per_chunk=len(data))))
        windows = next(iter(TensorBatches(data, receptive_field=27, batch_size=len(data))))
        assert torch.allclose(strategy.test_output(chunk), strategy.test_output(windows), atol=2e-6, rtol=0)


def test_lifters_without_a_sequence_path_test_windows(scenario) -> None:
    context = RunContext(num_joints=17, layout="h36m17", profile="tiny", device="cpu", seed=0)
    for options in ({"lifter": "simple_baseline"}, {"lifter": "videopose", "receptive_field": 1}):
        assert not make_strategy("source_only", context=context, **options).tests_sequences
    dakpose = make_strategy("source_only", context=context, lifter="dakpose", receptive_field=9)
    assert not dakpose.tests_sequences  # a Transformer over its window: no work shared between frames


class _CountTests(SupervisedPlugin):
    def __init__(self) -> None:
        super().__init__()
        self.tests = 0

    def before_eval(self, strategy: Any, **kwargs: Any) -> None:
        self.tests += 1


@pytest.mark.parametrize(("strategy", "tested"), [("source_only", 1), ("oracle", 3)])
def test_an_unchanged_lifter_is_not_tested_again(tiny_scenario: str, tmp_path, strategy: str, tested: int) -> None:
    counter = _CountTests()
    options = {"epochs": 1} | ({"adapt_epochs": 1} if strategy == "oracle" else {})
    config = RunConfig(tiny_scenario, strategy, tmp_path, progress=False, report=False, options=options)
    record = run(replace(config, plugins=[counter]))
    assert counter.tests == tested
    rows = record["matrices"]["mpjpe"]
    if strategy == "source_only":  # its lifter never changes after the source: every row is the first
        assert rows[1] == rows[0] and rows[2] == rows[0]
