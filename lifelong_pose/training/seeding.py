"""Seeds for every random source, derived per domain so that a resumed run repeats an uninterrupted one.

Why per domain: a run resumed after domain ``i`` cannot replay the random draws of domains
``0..i``; if domain ``i + 1`` starts from a seed derived from ``(seed, i + 1)`` instead of from the
state the generators happened to reach, both runs draw the same numbers from there on.
"""

from __future__ import annotations

import os
import random

import numpy as np
import torch

from lifelong_pose.seeding import derive_seed

__all__ = ["derive_seed", "seed_everything"]


def seed_everything(seed: int, generator: torch.Generator | None = None) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and every GPU); return a CPU generator for batch order.

    The returned generator is separate from the global one so that a strategy drawing extra
    random numbers (augmentation, dropout) does not change which frames go in which batch.
    ``generator``, when given, is reseeded in place and returned (objects that hold it, such as
    a domain's batches, then draw from the new seed).
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    # GPU kernels: deterministic where torch has a deterministic version, a warning where not
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True, warn_only=True)
    generator = generator if generator is not None else torch.Generator()
    generator.manual_seed(seed)
    return generator
