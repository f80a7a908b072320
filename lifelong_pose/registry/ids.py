"""Versioned ids in Gymnasium's form: ``[namespace/]name[-vN]``.

A published version never changes meaning; changing a scenario means registering ``-v(N+1)``.
An id without a version resolves to the newest registered version when looked up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ID_PATTERN = re.compile(r"^(?:(?P<namespace>[A-Za-z_][\w.-]*)/)?(?P<name>[A-Za-z_][\w.]*?)(?:-v(?P<version>\d+))?$")


@dataclass(frozen=True, order=True)
class ParsedId:
    """The three parts of an id; ``version`` is None for an unversioned id."""

    namespace: str | None
    name: str
    version: int | None

    @property
    def base(self) -> str:
        """The id without its version, e.g. ``mylab/stream``."""
        return f"{self.namespace}/{self.name}" if self.namespace else self.name

    def with_version(self, version: int | None) -> str:
        """The full id string for ``version`` (unversioned when None)."""
        return self.base if version is None else f"{self.base}-v{version}"


def parse_id(id_: str) -> ParsedId:
    """Split ``[namespace/]name[-vN]``.

    Raises:
        ValueError: if the id is not of that form.
    """
    if not isinstance(id_, str):
        raise TypeError(f"An id must be a string like 'cross_dataset-v0', got {type(id_).__name__}")
    match = _ID_PATTERN.fullmatch(id_)
    if match is None:
        raise ValueError(
            f"Malformed id {id_!r}: expected '[namespace/]name[-vN]', "
            "e.g. 'cross_dataset' or 'cross_dataset-v0' or 'mylab/stream-v2'."
        )
    version = match.group("version")
    return ParsedId(match.group("namespace"), match.group("name"), int(version) if version else None)
