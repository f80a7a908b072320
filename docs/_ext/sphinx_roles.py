"""A griffe extension for the API reference: the docstrings' Sphinx roles as plain code.

The package's docstrings are Google style but name other objects with Sphinx roles
(``:class:`~lifelong_pose.data.batch.PoseBatch```), which the Google-style renderer would print
verbatim. This turns each role into inline code of the name a reader sees (``PoseBatch``; a
leading ``~`` keeps the last dotted part, as Sphinx does), and a ``::`` that opens a literal block
into ``:``. Nothing in the source changes: it is loaded by mkdocs.yml
(``extensions: [docs/_ext/sphinx_roles.py]``) while the site is built.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

LITERAL = re.compile(r"(?<=\S)::$", flags=re.MULTILINE)
ROLE = re.compile(r":(?:py:)?(?:class|meth|func|mod|attr|data|exc|obj|const|paramref):`(~?)([^`]+)`")


def plain(text: str) -> str:
    """``text`` with every Sphinx role made inline code, shortened where the role asks for it."""

    def code(match: re.Match[str]) -> str:
        short, name = match.groups()
        if short:
            name = name.rsplit(".", 1)[-1]
        return f"`{name}`"

    return LITERAL.sub(":", ROLE.sub(code, text))


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles in every docstring griffe loads."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain(obj.docstring.value)
