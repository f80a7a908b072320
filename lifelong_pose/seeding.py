"""Seeds derived from names: the one place where a seed is made from a run seed and keys.

Two derivations live here, and only here, because results already depend on each:

- :func:`derive_seed` seeds a run's randomness (each domain's training, the end-of-domain work,
  a plugin's draws) from the run seed and keys, so that a run resumed after domain ``i`` repeats
  the uninterrupted run: 31 bits, what ``torch.Generator.manual_seed`` and NumPy both take.
- :func:`world_seed` seeds the simulated world's data (bodies, cameras, takes, splits): 63 bits.
  Every published simulated stream version is defined by the numbers it draws, so its formula can
  only change with a new version of every scenario; it is kept as it was.

Both are SHA-256 of the joined keys, stable across processes and platforms (``hash`` is not).
Torch-free: the simulator and option checks import it without torch.
"""

from __future__ import annotations

import hashlib


def derive_seed(seed: int, *keys: object) -> int:
    """A 31-bit seed that depends on ``seed`` and ``keys`` only (stable across processes)."""
    text = ":".join([str(seed), *map(str, keys)])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little") & 0x7FFFFFFF


def world_seed(*parts: object) -> int:
    """A 63-bit seed of the simulated world's data from ``parts`` (the same in every process)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1
