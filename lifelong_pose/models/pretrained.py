"""Pretrained starts: the source lifter read from a checkpoint file instead of trained (``--init-checkpoint``).

Why: a benchmark of adaptation should be able to start from a published source model (VideoPose3D's
released weights) or from a source lifter another run trained, so that what is compared is the
adaptation, not how well each setup happened to learn the source.

Three formats are read, all with ``torch.load(weights_only=True)`` (torch's restricted unpickler:
tensors, numbers, strings and plain containers, never code):

* ``lifelong-pose-checkpoint``: a domain checkpoint of a run folder
  (``checkpoints/domain-NN.pt``, :mod:`lifelong_pose.runner.checkpoint`); only its lifter
  (``"model"``) is taken, not the strategy's own networks or its plugins' state;
* ``lifter-state-dict``: a plain ``state_dict`` of a lifter of this suite;
* ``videopose3d``: a checkpoint of VideoPose3D (Pavllo et al. 2019, ``run.py``): a dict whose
  ``model_pos`` is the state dict of its ``TemporalModel`` (or of ``TemporalModelOptimized1f``,
  whose weights are the same tensors). Its keys are the ones the ``videopose`` lifter uses
  (``expand_conv``, ``expand_bn``, ``layers_conv.i``, ``layers_bn.i``, ``shrink``), so the
  mapping is checking shapes, not renaming; ``model_traj`` (the trajectory model) is not used.

A state dict with VideoPose3D's keys says its architecture in its shapes: ``expand_conv.weight``
is (channels, 2 x J, w_0); the residual blocks' ``layers_conv.{2i}.weight`` are (channels,
channels, w_i+1) and ``layers_conv.{2i+1}.weight`` (channels, channels, 1); ``shrink.weight`` is
(3 x J, channels, 1). The receptive field is the product of the filter widths. The run's lifter
options (``lifter``, ``receptive_field``) are set from them, and an option given otherwise is
refused; the channels must be those of the run's profile. What shapes cannot say is refused by
no check: a causal model (its windows end at the frame predicted, the suite's are centred), a
model whose 2D input uses another joint order than its output (VideoPose3D's COCO-keypoint
model), or a dense one whose widths happen to fit. The 17 joints of VideoPose3D's Human3.6M
models are the ``h36m17`` layout, in the same order; its 2D input is in the same normalised
screen coordinates. The one difference in what the lifter outputs: this suite's lifters return
the root joint at exactly zero (every joint minus the predicted root), VideoPose3D's as predicted.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

FORMATS: tuple[str, ...] = ("lifelong-pose-checkpoint", "lifter-state-dict", "videopose3d")
"""The checkpoint formats :func:`read_pretrained` reads, as the run record names them."""

_BLOCK_CONV = re.compile(r"layers_conv\.(\d+)\.weight")


class PretrainedError(ValueError):
    """A checkpoint that cannot start the run's source lifter: missing, unreadable, of another lifter,
    joint layout or size. The message is one line and names the file (and the tensor at fault)."""


@dataclass(frozen=True)
class VideoPoseArchitecture:
    """What the shapes of a state dict with VideoPose3D's keys say about the model that made it.

    Attributes:
        num_joints: J, from ``shrink.weight`` (3 x J outputs).
        channels: width of every hidden convolution.
        filter_widths: the expand convolution's width, then each residual block's.
    """

    num_joints: int
    channels: int
    filter_widths: tuple[int, ...]

    @property
    def receptive_field(self) -> int:
        """Frames of a window: the product of the filter widths (VideoPose3D's ``receptive_field()``)."""
        frames = 1
        for width in self.filter_widths:
            frames *= width
        return frames


@dataclass(frozen=True)
class PretrainedLifter:
    """A lifter state read from a checkpoint file, with what identifies the file.

    Attributes:
        state: the lifter's ``state_dict`` (tensors on the CPU), in the suite's key names.
        format: one of :data:`FORMATS`.
        sha256: SHA-256 of the file's bytes, exactly the bytes that were loaded.
        size: the file's size in bytes.
        file: the file's name, without its folder (a record never holds a path of the machine).
        architecture: for a state dict with VideoPose3D's keys, what its shapes say; else None.
    """

    state: dict[str, torch.Tensor]
    format: str
    sha256: str
    size: int
    file: str
    architecture: VideoPoseArchitecture | None

    def lifter_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """``options`` with the lifter and receptive field the checkpoint's shapes say (a VideoPose3D
        state dict); unchanged for another lifter's state dict, whose shapes are checked by
        :meth:`check_fits` against the lifter the options build.

        Raises:
            PretrainedError: ``lifter`` or ``receptive_field`` given with another value than the
                shapes say, naming both and the tensor that says it.
        """
        if self.architecture is None:
            return dict(options)
        arch = self.architecture
        widths = ", ".join(map(str, arch.filter_widths))
        said = {
            "lifter": ("videopose", "expand_conv.weight and shrink.weight are VideoPose3D's temporal convolutions"),
            "receptive_field": (arch.receptive_field, f"its filter widths {widths} multiply to {arch.receptive_field}"),
        }
        for key, (value, why) in said.items():
            if key in options and options[key] != value:
                raise PretrainedError(
                    f"--{key.replace('_', '-')} {options[key]} conflicts with --init-checkpoint {self.file}: "
                    f"it holds a videopose lifter with {key}={value} ({why}); leave --{key.replace('_', '-')} out "
                    "to take the checkpoint's"
                )
        return {**options, **{key: value for key, (value, _) in said.items()}}

    def check_fits(self, model: nn.Module, *, profile: str, layout: str) -> None:
        """Every tensor of ``model`` has its counterpart in the checkpoint, of the same shape, and nothing more.

        Raises:
            PretrainedError: naming the first tensor that does not fit (in ``model``'s order): its
                key, its shape and the shape expected, or the key one side lacks.
        """
        expected = {key: tuple(value.shape) for key, value in model.state_dict().items()}
        given = {key: tuple(value.shape) for key, value in self.state.items()}
        name = getattr(model, "name", type(model).__name__)
        rf = getattr(model, "receptive_field", None)
        built = f"the run's {name} lifter (receptive field {rf}, --profile {profile}, {layout} layout)"
        missing = [key for key in expected if key not in given]
        extra = [key for key in given if key not in expected]
        if missing or extra:
            parts = [f"has no tensor {missing[0]!r} (expected shape {_shape(expected[missing[0]])})"] if missing else []
            parts += [f"has {extra[0]!r} (shape {_shape(given[extra[0]])}), which the lifter has not"] if extra else []
            more = len(missing) + len(extra) - len(parts)
            raise PretrainedError(
                f"--init-checkpoint {self.file} holds a state dict for another lifter than {built}: it "
                f"{' and '.join(parts)}{f' ({more} more keys differ)' if more else ''}; pass the --lifter and "
                "--receptive-field of the run that saved it"
            )
        for key, shape in expected.items():
            if given[key] != shape:
                raise PretrainedError(
                    f"--init-checkpoint {self.file}: tensor {key!r} has shape {_shape(given[key])}, {built} expects "
                    f"{_shape(shape)}{self._size_hint(model, profile)}"
                )

    def _size_hint(self, model: nn.Module, profile: str) -> str:
        """Why shapes differ where the checkpoint's channels are another profile's, and which profile has them."""
        channels = getattr(model, "channels", None)
        if self.architecture is None or channels is None or channels == self.architecture.channels:
            return "; the lifter's sizes follow --profile, the joints the scenario's layout"
        from lifelong_pose.registry import lifter_registry

        profiles = lifter_registry.spec("videopose").profiles
        fitting = [p for p in ("quick", "paper") if profiles.get(p, {}).get("channels") == self.architecture.channels]
        advice = f"; run with --profile {fitting[0]}" if fitting else "; no profile has them"
        return (
            f": the checkpoint's lifter has {self.architecture.channels} channels, the {profile} profile's "
            f"{channels}{advice}"
        )

    def record_entry(self, *, trains_source: bool) -> dict[str, Any]:
        """The run record's ``init_checkpoint``: the file's SHA-256, format, name and size, and whether
        the source trains on from it (no path: a record is published)."""
        return {
            "sha256": self.sha256,
            "format": self.format,
            "file": self.file,
            "bytes": self.size,
            "trains_source": trains_source,
        }


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def read_pretrained(path: str | Path, *, num_joints: int, layout: str) -> PretrainedLifter:
    """Read a lifter state from ``path`` (any of :data:`FORMATS`) for a scenario of ``num_joints`` joints.

    The file is read once: its SHA-256 is of exactly the bytes loaded.

    Raises:
        PretrainedError: a missing or unreadable file, one ``weights_only`` refuses (naming what it
            refused), one that holds no lifter state dict, or a VideoPose3D state dict whose joints
            or filter widths the ``videopose`` lifter cannot take (naming the tensor).
    """
    path = Path(path)
    where = f"--init-checkpoint {path}"
    if not path.exists():
        raise PretrainedError(f"{where} does not exist")
    if not path.is_file():
        raise PretrainedError(f"{where} is not a file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PretrainedError(f"{where} cannot be read: {error.strerror or error}") from None
    loaded = _load(data, where)
    state, format_ = _lifter_state(loaded, where)
    architecture = videopose_architecture(state, where, num_joints=num_joints, layout=layout)
    if format_ == "videopose3d" and architecture is None:
        raise PretrainedError(
            f"{where}: its model_pos is not a VideoPose3D TemporalModel state dict (no expand_conv.weight and "
            "shrink.weight)"
        )
    return PretrainedLifter(
        state=state,
        format=format_,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        file=path.name,
        architecture=architecture,
    )


def _load(data: bytes, where: str) -> Any:
    """``torch.load(weights_only=True)`` of the bytes, its refusals and failures as one-line errors."""
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many kinds for a foreign or truncated file
        found = re.search(r"Unsupported global: GLOBAL (\S+)", str(error))
        if found is None:  # not a refusal: no torch checkpoint at all, or a truncated one
            said = str(error).split("WeightsUnpickler error:")[-1].split("Check the documentation")[0]
            why = re.sub(r"\s+", " ", said).strip()[:200] or "the file ends early"
            raise PretrainedError(
                f"{where} cannot be read as a torch checkpoint ({type(error).__name__}: {why})"
            ) from None
        try:  # every global it would need, not only the first torch met
            refused = ", ".join(torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(data)))
        except Exception:  # an archive torch cannot list: its own words name the first
            refused = found.group(1)
        raise PretrainedError(
            f"{where} holds objects that torch.load(weights_only=True) refuses to load ({refused}); only tensors, "
            "numbers, strings and plain containers are read. From a file you trust, save its weights alone, e.g. "
            "torch.save({'model_pos': checkpoint['model_pos']}, 'weights.bin') for a VideoPose3D checkpoint "
            "(whose random_state is a numpy RandomState)"
        ) from None


def _lifter_state(loaded: Any, where: str) -> tuple[dict[str, torch.Tensor], str]:
    """The lifter's state dict inside what the file held, and the format it came in."""
    if not isinstance(loaded, dict):
        raise PretrainedError(f"{where} holds a {type(loaded).__name__}, not a lifter state dict or checkpoint")
    if "model_pos" in loaded:
        state, format_ = loaded["model_pos"], "videopose3d"
    elif "model" in loaded and "plugins" in loaded:
        state, format_ = loaded["model"], "lifelong-pose-checkpoint"
    elif loaded and all(isinstance(value, torch.Tensor) for value in loaded.values()):
        state, format_ = loaded, "lifter-state-dict"
    else:
        keys = ", ".join(map(repr, list(loaded)[:6])) or "none"
        raise PretrainedError(
            f"{where} is neither a lifter state dict, a lifelong-pose domain checkpoint ('model') nor a VideoPose3D "
            f"checkpoint ('model_pos'); its top-level keys: {keys}"
        )
    if not isinstance(state, dict) or not state:
        raise PretrainedError(f"{where}: its lifter state ({format_}) is {type(state).__name__}, not a state dict")
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise PretrainedError(
                f"{where}: its lifter state ({format_}) holds {key!r}: {type(value).__name__}, not a tensor"
            )
    state = dict(state)
    for key in [key for key in state if key.endswith(".running_mean")]:
        # BatchNorm saved by torch before 0.4.1 (VideoPose3D's time) has no count: torch's own loading of
        # such a state dict counts 0, and with a momentum the count is never read
        state.setdefault(key.removesuffix("running_mean") + "num_batches_tracked", torch.tensor(0))
    return state, format_


def videopose_architecture(
    state: Mapping[str, torch.Tensor], where: str, *, num_joints: int, layout: str
) -> VideoPoseArchitecture | None:
    """The architecture a state dict with VideoPose3D's keys has, checked against what the
    ``videopose`` lifter can be built as; None for a state dict of another kind.

    Raises:
        PretrainedError: joints other than the layout's, inputs other than 2D, or filter widths
            the lifter has no receptive field for, naming the tensor, its shape and the one expected.
    """
    from lifelong_pose.models.videopose import FILTER_WIDTHS

    if "expand_conv.weight" not in state or "shrink.weight" not in state:
        return None
    expand, shrink = state["expand_conv.weight"], state["shrink.weight"]
    if expand.ndim != 3 or shrink.ndim != 3:
        bad, tensor = ("expand_conv.weight", expand) if expand.ndim != 3 else ("shrink.weight", shrink)
        shape = _shape(tuple(tensor.shape))
        raise PretrainedError(f"{where}: tensor {bad!r} has shape {shape}, not a 1D convolution's (3 dims)")
    channels, inputs, first = (int(size) for size in expand.shape)
    if inputs != 2 * num_joints:
        raise PretrainedError(
            f"{where}: tensor 'expand_conv.weight' has shape {_shape(tuple(expand.shape))}, the scenario's {layout} "
            f"layout ({num_joints} joints of 2D) expects {_shape((channels, 2 * num_joints, first))}"
        )
    if shrink.shape[0] != 3 * num_joints:
        raise PretrainedError(
            f"{where}: tensor 'shrink.weight' has shape {_shape(tuple(shrink.shape))}, the scenario's {layout} layout "
            f"({num_joints} joints) expects {_shape((3 * num_joints, channels, 1))}: the checkpoint's lifter outputs "
            f"{shrink.shape[0] / 3:g} joints"
        )
    blocks = sorted(int(match.group(1)) for key in state if (match := _BLOCK_CONV.fullmatch(key)))
    widths = [first] + [int(state[f"layers_conv.{index}.weight"].shape[-1]) for index in blocks if index % 2 == 0]
    allowed = {len(w): w for w in FILTER_WIDTHS.values()}
    wanted = allowed.get(len(widths))
    if wanted is None:
        keys = ["expand_conv.weight"] + [f"layers_conv.{2 * i}.weight" for i in range(len(widths) - 1)]
        key = keys[min(max(allowed), len(widths) - 1)]  # the first block too many, or the last of too few
        counts = ", ".join(str(n - 1) for n in sorted(allowed))
        raise PretrainedError(
            f"{where}: the checkpoint's VideoPose3D has {len(widths) - 1} residual blocks (filter widths "
            f"{', '.join(map(str, widths))}); the videopose lifter has {counts} (receptive fields "
            f"{', '.join(map(str, FILTER_WIDTHS))}); first tensor that does not fit: {key!r} of shape "
            f"{_shape(tuple(state[key].shape))}"
        )
    for index, (width, expected) in enumerate(zip(widths, wanted, strict=True)):
        if width != expected:
            key = "expand_conv.weight" if index == 0 else f"layers_conv.{2 * (index - 1)}.weight"
            shape = tuple(state[key].shape)
            raise PretrainedError(
                f"{where}: tensor {key!r} has shape {_shape(shape)}, the videopose lifter with {len(widths) - 1} "
                f"blocks expects {_shape((*shape[:-1], expected))}: filter widths "
                f"{', '.join(map(str, widths))} are not its {', '.join(map(str, wanted))}"
            )
    return VideoPoseArchitecture(num_joints=num_joints, channels=channels, filter_widths=tuple(widths))
