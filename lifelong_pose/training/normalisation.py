"""Normalisation statistics as a control: re-estimated on a target (AdaBN), or frozen while a method adapts.

Why this module exists: a lifter with BatchNorm changes its running statistics whenever it runs in
training mode on a target's 2D, with no gradient and no label involved. That alone moves a
source lifter's error on a new domain by tens of millimetres (Li et al., "Revisiting Batch
Normalization for Practical Domain Adaptation", 2016: AdaBN). A reader of an adaptation result
must be able to tell such re-normalisation from what a method learned, so every strategy takes
``bn`` (:data:`BN_MODES`) from the engine:

- ``train``: normalisation layers train as the method leaves them (the statistics follow the
  batches the lifter trains on);
- ``frozen``: while the method adapts, every normalisation layer runs in evaluation mode, so the
  statistics the lifter entered the domain with are used and kept. The affine parameters (scale
  and shift) stay trainable: they are weights learned by gradient like any other, so a gain that
  survives ``frozen`` is learned, and freezing them too would mix a second restriction into the
  control (test-time adaptation methods such as TENT learn exactly those parameters);
- ``adabn``: the statistics are re-estimated on the target's train 2D first
  (:func:`reestimate_statistics`), then frozen while the method adapts.

A lifter without BatchNorm (LayerNorm keeps no statistics) makes ``bn`` a no-op, which
:func:`normalisation_note` says in the run's record rather than ignoring it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import nn

from lifelong_pose.training.params import BN_MODES

VARIANCE_FLOOR = 1e-5
"""Added to variances before a square root or a ratio (BatchNorm's own default ``eps``)."""


def statistics_layers(model: nn.Module) -> list[nn.modules.batchnorm._BatchNorm]:
    """The layers of ``model`` keeping running statistics (BatchNorm, ``track_running_stats``), in module order."""
    return [
        module
        for module in model.modules()
        if isinstance(module, nn.modules.batchnorm._BatchNorm) and module.track_running_stats
    ]


def statistics_keys(model: nn.Module) -> list[str]:
    """State-dict keys of the running mean and variance of each of :func:`statistics_layers`, in that order."""
    layers = {id(layer) for layer in statistics_layers(model)}
    prefixes = [f"{name}." if name else "" for name, module in model.named_modules() if id(module) in layers]
    return [f"{prefix}{buffer}" for prefix in prefixes for buffer in ("running_mean", "running_var")]


def _keep_evaluation_mode(module: nn.Module, args: Any) -> None:
    """A forward pre-hook: the layer normalises with, and keeps, its running statistics."""
    module.training = False


class FrozenStatistics:
    """Keep every normalisation layer of a model in evaluation mode, whatever mode the model is put in.

    Why hooks rather than ``layer.eval()`` once: Avalanche and the methods themselves call
    ``model.train()`` at many points (every epoch, after a teacher forward), which would silently
    switch the layers back. A forward pre-hook on each layer sets evaluation mode at the moment it
    runs, so no later ``train()`` can update the statistics. :meth:`release` removes the hooks.
    """

    def __init__(self, model: nn.Module) -> None:
        self.layers = statistics_layers(model)
        self._handles = [layer.register_forward_pre_hook(_keep_evaluation_mode) for layer in self.layers]
        for layer in self.layers:
            layer.training = False

    def release(self, training: bool) -> None:
        """Remove the hooks; the layers take the mode ``training`` (the model's)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
        for layer in self.layers:
            layer.training = training


def reestimate_statistics(
    model: nn.Module,
    batches: Callable[[], Iterable[torch.Tensor]],
    forward: Callable[[torch.Tensor], Any] | None = None,
) -> int:
    """Set every normalisation layer's running statistics to those of its input over a whole split (AdaBN).

    Layer by layer, in the order the layers run: each layer's mean and (unbiased, as BatchNorm
    stores it) variance are the exact statistics of its input over every sample of the split,
    with the layers before it already re-estimated and the whole model in evaluation mode (no
    dropout). So the statistics are those the tested network meets, independent of any batch
    size, unlike a running average of per-batch statistics. No gradient; no parameter changes.

    Args:
        model: the lifter (its mode is restored afterwards).
        batches: a function giving the split's inputs as batches, called once per layer.
        forward: how a batch goes through ``model`` (default: ``model(batch)``).

    Returns:
        The number of layers re-estimated (0 for a model without BatchNorm).

    Raises:
        ValueError: a split with fewer than two samples (no variance).
    """
    layers = statistics_layers(model)
    if not layers:
        return 0
    forward = forward if forward is not None else model
    was_training = model.training
    model.eval()
    try:
        for layer in _in_running_order(layers, batches, forward):
            mean, variance = _input_statistics(layer, batches, forward)
            layer.running_mean.copy_(mean.to(layer.running_mean.dtype))
            layer.running_var.copy_(variance.to(layer.running_var.dtype))
    finally:
        model.train(was_training)
    return len(layers)


def _input_statistics(
    layer: nn.modules.batchnorm._BatchNorm,
    batches: Callable[[], Iterable[torch.Tensor]],
    forward: Callable[[torch.Tensor], Any],
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per channel, the mean and unbiased variance of ``layer``'s input over every batch (float64 sums)."""
    total = torch.zeros(layer.num_features, dtype=torch.float64, device=layer.running_mean.device)
    squares = torch.zeros_like(total)
    count = 0

    def accumulate(module: nn.Module, args: Any) -> None:
        nonlocal count
        values = args[0].detach().to(torch.float64).transpose(0, 1).reshape(layer.num_features, -1)
        total.add_(values.sum(dim=1))
        squares.add_((values * values).sum(dim=1))
        count += values.shape[1]

    handle = layer.register_forward_pre_hook(accumulate)
    try:
        with torch.no_grad():
            for batch in batches():
                forward(batch)
    finally:
        handle.remove()
    if count < 2:
        raise ValueError(f"re-estimating normalisation statistics needs at least 2 samples, got {count}")
    mean = total / count
    variance = (squares / count - mean * mean).clamp_min(0) * count / (count - 1)
    return mean, variance


def _in_running_order(
    layers: Sequence[nn.modules.batchnorm._BatchNorm],
    batches: Callable[[], Iterable[torch.Tensor]],
    forward: Callable[[torch.Tensor], Any],
) -> list[nn.modules.batchnorm._BatchNorm]:
    """``layers`` in the order one forward pass runs them (module order need not be running order)."""
    order: list[nn.modules.batchnorm._BatchNorm] = []

    def note(module: nn.Module, args: Any) -> None:
        if module not in order:
            order.append(module)  # type: ignore[arg-type]

    handles = [layer.register_forward_pre_hook(note) for layer in layers]
    try:
        with torch.no_grad():
            first = next(iter(batches()), None)
            if first is None:
                raise ValueError("re-estimating normalisation statistics needs a split with at least one sample")
            forward(first[:2])
    finally:
        for handle in handles:
            handle.remove()
    return order + [layer for layer in layers if layer not in order]  # a layer no input reached keeps its place


def statistics_shift(
    before: Sequence[tuple[torch.Tensor, torch.Tensor]], after: Sequence[tuple[torch.Tensor, torch.Tensor]]
) -> dict[str, float] | None:
    """How far the normalisation statistics moved, in units the layers themselves use.

    Returns ``{"mean": m, "scale": s}``, averaged over every channel of every layer:
    ``m = |mu_after - mu_before| / sigma_before`` (the mean's move in standard deviations) and
    ``s = |log(sigma_after / sigma_before)|`` (the spread's change, 0.69 for a factor of 2);
    None for a model without statistics.

    Raises:
        ValueError: the two lists describe different layers.
    """
    if len(before) != len(after):
        raise ValueError(f"statistics of {len(before)} and {len(after)} layers cannot be compared")
    if not before:
        return None
    mean_moves, scale_moves = [], []
    for (mean_0, var_0), (mean_1, var_1) in zip(before, after, strict=True):
        if mean_0.shape != mean_1.shape:
            raise ValueError(f"a layer has {mean_0.numel()} channels before and {mean_1.numel()} after")
        sigma_0 = (var_0.double() + VARIANCE_FLOOR).sqrt()
        sigma_1 = (var_1.double() + VARIANCE_FLOOR).sqrt()
        mean_moves.append(((mean_1.double() - mean_0.double()).abs() / sigma_0).flatten())
        scale_moves.append((sigma_1 / sigma_0).log().abs().flatten())
    return {"mean": float(torch.cat(mean_moves).mean()), "scale": float(torch.cat(scale_moves).mean())}


def normalisation_note(mode: str, layers: int, trains_on_targets: bool, lifter: str) -> dict[str, Any]:
    """What ``bn=mode`` does in a run, as its record states it: ``{"bn", "layers", "applies", "effect"}``.

    ``applies`` is False where the mode changes nothing (no BatchNorm layer; ``frozen`` for a
    strategy that never trains on a target), so a control that did nothing is never mistaken for one
    that was applied.
    """
    if mode not in BN_MODES:
        raise ValueError(f"bn must be one of {', '.join(BN_MODES)}, got {mode!r}")
    applies = mode == "train" or (layers > 0 and (mode == "adabn" or trains_on_targets))
    if mode == "train":
        effect = "normalisation layers train with the method (their statistics follow its batches)"
    elif layers == 0:
        effect = f"no-op: the {lifter} lifter has no BatchNorm layer (no running statistics to freeze or re-estimate)"
    elif mode == "frozen" and not trains_on_targets:
        effect = "no-op: the strategy never trains on a target, so no statistics could change there"
    elif mode == "frozen":
        effect = f"{layers} BatchNorm layer(s) keep the statistics the lifter entered each target with"
    elif trains_on_targets:
        effect = f"{layers} BatchNorm layer(s) re-estimated on each target's train 2D, then frozen while it adapts"
    else:
        effect = f"{layers} BatchNorm layer(s) re-estimated on each target's train 2D (nothing is trained)"
    return {"bn": mode, "layers": layers, "applies": applies, "effect": effect}
