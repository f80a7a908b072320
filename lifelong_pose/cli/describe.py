"""``lifelong-pose describe ID``: what a registered strategy, plugin or lifter is, what it reads, its options.

``describe`` is one command for every kind of id, decided by the registry that knows it (a scenario,
a strategy, a plugin or a lifter), because a user holding an id from a table or a record should not
have to know which list it came from first. Scenarios are described by :mod:`lifelong_pose.cli.main`
(their domains need the data built); this module does the others.

A strategy's options are its ``Params`` dataclass. Their defaults are layered as a run builds them
(:func:`lifelong_pose.training.build.strategy_params`): the dataclass's, then the profile's, then the
registered spec's options; the table shows them for every profile side by side, so a user sees what
``--profile paper`` changes before spending a GPU day on it. Each option's explanation is read from
the ``Attributes:`` sections of the dataclass's docstrings, the same text the code documents it with.

Only lifters are described from their registration alone; a strategy or a plugin is imported to be
described (its class holds the options), which loads torch: ``list`` and ``--help`` stay light.
"""

from __future__ import annotations

import difflib
import inspect
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import Any

from lifelong_pose.registry import (
    Registry,
    RegistryError,
    lifter_registry,
    parse_id,
    plugin_registry,
    scenario_registry,
    strategy_registry,
)

REGISTRIES: dict[str, Registry[Any]] = {
    "scenario": scenario_registry,
    "strategy": strategy_registry,
    "plugin": plugin_registry,
    "lifter": lifter_registry,
}
"""Every kind ``describe`` knows, in the order an id known to several is taken (``dakpose`` is a
strategy and a lifter: the strategy, unless ``--kind lifter``)."""
DOC_WIDTH = 60
"""Characters of an option's explanation per table line (longer ones wrap)."""
DOC_CHARS = 180
"""Most characters of an option's explanation in the table (its first sentence, cut at a word);
``--json`` keeps the whole text."""


def kinds_of(id: str) -> list[str]:
    """The kinds whose registry knows ``id`` (with or without its version), in :data:`REGISTRIES` order."""
    return [kind for kind, registry in REGISTRIES.items() if id in registry]


def resolve_kind(id: str, kind: str | None = None) -> tuple[str, list[str]]:
    """Which kind of thing ``id`` names, and the other kinds that know it too.

    A ``module:Class`` or ``file.py:Class`` is a strategy, as ``run --strategy`` takes it.

    Raises:
        RegistryError: ``kind``'s registry does not know ``id``, or no registry does; the message
            lists close matches of every kind.
    """
    if ":" in id and kind in (None, "strategy"):
        return "strategy", []
    if kind is not None:
        REGISTRIES[kind].spec(id)  # the registry's own message, with its close matches
        return kind, []
    known = kinds_of(id)
    if not known:
        raise unknown_id(id)
    return known[0], known[1:]


def unknown_id(id: str) -> RegistryError:
    """An id no registry knows: a registry's own answer where the name is known at other versions,
    else the close matches of every kind, and where to see them all."""
    try:
        name = parse_id(id).base
    except ValueError:
        name = id
    for registry in REGISTRIES.values():
        if any(spec.name == name for spec in registry.all()):
            try:
                registry.spec(id)
            except RegistryError as error:
                return error  # "... has no such version. Registered versions: ..."
    candidates: dict[str, list[str]] = {}
    for kind, registry in REGISTRIES.items():
        for spec in registry.all():
            candidates.setdefault(spec.name, []).append(kind)
    close = difflib.get_close_matches(name, list(candidates), n=4, cutoff=0.5)
    matches = [f"{match!r} ({' or '.join(dict.fromkeys(candidates[match]))})" for match in close]
    hint = f" Did you mean {', '.join(matches)}?" if matches else ""
    return RegistryError(
        f"Unknown id {id!r}: no scenario, strategy, plugin or lifter is registered under it.{hint} "
        "See 'lifelong-pose list scenarios|strategies|plugins|lifters'"
    )


# -- docstrings ------------------------------------------------------------------------------


def first_paragraph(target: Any) -> str:
    """The first paragraph of ``target``'s docstring, as one line ("" without one)."""
    doc = inspect.getdoc(target) or ""
    return " ".join(doc.split("\n\n")[0].split())


_SECTION = re.compile(r"^(\s*)(Attributes|Args|Arguments|Parameters):\s*$")
_ITEM = re.compile(r"^([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_][\w]*)*)(?:\s*\([^)]*\))?:\s*(.*)$")


def documented_names(target: type) -> dict[str, str]:
    """``name -> explanation`` from the ``Attributes:``/``Args:`` sections of ``target``'s docstrings.

    The class's own docstring wins over its bases' (a subclass re-documents an inherited option
    where it changes it); an item naming several options (``noise_dim, width: network sizes``)
    explains each.
    """
    found: dict[str, str] = {}
    for klass in reversed(getattr(target, "__mro__", (target,))):
        for name, text in _sections(inspect.cleandoc(klass.__dict__.get("__doc__") or "")).items():
            found[name] = text
    return found


def _sections(doc: str) -> dict[str, str]:
    items: dict[str, str] = {}
    lines = doc.splitlines()
    index = 0
    while index < len(lines):
        header = _SECTION.match(lines[index])
        index += 1
        if header is None:
            continue
        base = len(header.group(1))
        item_indent: int | None = None
        names: list[str] = []
        while index < len(lines):
            line = lines[index]
            indent = len(line) - len(line.lstrip())
            if line.strip() and indent <= base:
                break  # the section ended
            index += 1
            if not line.strip():
                continue
            if item_indent is None:
                item_indent = indent
            item = _ITEM.match(line.strip()) if indent == item_indent else None
            if item is not None:
                names = [name.strip() for name in item.group(1).split(",")]
                for name in names:
                    items[name] = item.group(2).strip()
            else:  # a continuation line of the current item
                for name in names:
                    items[name] = f"{items[name]} {line.strip()}".strip()
    return items


def short_doc(text: str, limit: int = DOC_CHARS) -> str:
    """An explanation for a table: reST roles and literals as plain text, its first sentence, at most
    ``limit`` characters (cut at a word, with an ellipsis)."""
    plain = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", text).replace("``", "")
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", plain, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0] + " …"


# -- values ----------------------------------------------------------------------------------


def value_text(value: Any) -> str:
    """A value as ``--set`` reads it back: ``true``, ``none``, ``0.001``, ``cosine``."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, default=str)


def type_text(annotation: Any) -> str:
    """A field's annotation, readably: ``{original,aligned}`` for a ``Literal``, else as written."""
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    literal = re.fullmatch(r"(?:typing\.)?Literal\[(.*)\]", text.strip())
    if literal is not None:
        choices = [choice.strip().strip("'\"") for choice in literal.group(1).split(",")]
        return "{" + ",".join(choices) + "}"
    return text.replace("typing.", "")


def _json_ready(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


# -- strategies ------------------------------------------------------------------------------

FLAG_TEXT = {
    "reads_target_3d": (
        "reads target 3D",
        "yes: trains with each target's 3D poses; a reference, never ranked (its records say not comparable)",
        "no: never reads a target's 3D pose",
    ),
    "keeps_source_data": (
        "keeps source data",
        "yes: keeps the labelled source and trains on it while adapting (records count the kept bytes)",
        "no: leaves the labelled source behind after training on it",
    ),
    "uses_target_data": (
        "uses target data",
        "yes: adapts on each target's train split (its 2D; its 3D only where it reads target 3D)",
        "no: never trains on a target, not even on its 2D (the conformance checks verify it)",
    ),
    "shares_source_training": (
        "source training",
        "the engine's supervised training, shared with every such strategy (the source cache may supply it)",
        "its own (never taken from the source cache)",
    ),
}
"""Class attribute -> (label, text when True, text when False)."""


def describe_strategy(id: str) -> dict[str, Any]:
    """Everything ``describe`` prints about a strategy, as plain data (``--json`` prints it as is).

    Raises:
        RegistryError: an unknown id.
        ImportError: an entry point that cannot be loaded.
    """
    from lifelong_pose.registry import load_entry_point
    from lifelong_pose.training.build import strategy_params, strategy_spec_for
    from lifelong_pose.training.params import STRATEGY_PROFILES

    spec = strategy_spec_for(id)
    target = load_entry_point(spec.entry_point)
    params = {profile: strategy_params(spec, target, profile, {}) for profile in STRATEGY_PROFILES}
    docs = documented_names(target.Params)
    options = [
        {
            "name": field.name,
            "type": type_text(field.type),
            "defaults": {profile: _json_ready(getattr(value, field.name)) for profile, value in params.items()},
            "doc": docs.get(field.name, ""),
        }
        for field in fields(target.Params)
    ]
    flags = {name: _flag(target, name, params) for name in FLAG_TEXT}
    return {
        "kind": "strategy",
        "id": spec.id,
        "description": spec.description,
        "entry_point": spec.entry_point,
        "summary": first_paragraph(target),
        "params": target.Params.__name__,
        "profiles": list(STRATEGY_PROFILES),
        "flags": flags,
        "options": options,
    }


def _flag(target: type, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """A class attribute such as ``keeps_source_data``, per profile where an option decides it.

    Where it is a property (``diffusion_replay`` keeps the source only with
    ``generation_seed=source``), it is read from an instance holding each profile's defaults and
    no more (made without ``__init__``, which would build networks); a property that needs more
    than the options says so instead of guessing.
    """
    attribute = inspect.getattr_static(target, name, False)
    if not isinstance(attribute, property):
        return {"value": bool(attribute), "depends_on_options": False, "doc": ""}
    by_profile: dict[str, bool | None] = {}
    for profile, values in params.items():
        instance = target.__new__(target)
        try:
            object.__setattr__(instance, "params", values)
            by_profile[profile] = bool(attribute.fget(instance))  # type: ignore[misc]
        except Exception:  # a property reading state that only a built strategy has
            by_profile[profile] = None
    return {"value": by_profile, "depends_on_options": True, "doc": first_paragraph(attribute)}


def strategy_text(described: Mapping[str, Any]) -> str:
    """:func:`describe_strategy`'s data as the terminal shows it."""
    from tabulate import tabulate

    lines = [f"{described['id']}: {described['description']}", f"entry point: {described['entry_point']}"]
    if described["summary"]:
        lines += ["", described["summary"]]
    lines += ["", "What it keeps and reads:"]
    labels = {name: label for name, (label, _, _) in FLAG_TEXT.items()}
    width = max(map(len, labels.values()))
    bn = next((option for option in described["options"] if option["name"] == "bn"), None)
    for name, flag in described["flags"].items():
        lines.append(f"  {labels[name]:<{width}}  {_flag_line(name, flag)}")
        if name == "uses_target_data" and bn is not None and "adabn" in bn["defaults"].values():
            lines.append(f"  {'':<{width}}  (bn=adabn: re-estimates BatchNorm statistics on each target's train 2D)")
    profiles = described["profiles"]
    lines += [
        "",
        f"Options ({described['params']}; set with --set NAME=VALUE; defaults per --profile, "
        "'tiny' being the conformance checks'):",
    ]
    rows = [
        [option["name"], option["type"], *map(value_text, option["defaults"].values()), short_doc(option["doc"])]
        for option in described["options"]
    ]
    headers = ["option", "type", *profiles, "what it is"]
    lines.append(
        tabulate(rows, headers=headers, disable_numparse=True, maxcolwidths=[None] * (len(headers) - 1) + [DOC_WIDTH])
    )
    return "\n".join(lines)


def _flag_line(name: str, flag: Mapping[str, Any]) -> str:
    _, yes, no = FLAG_TEXT[name]
    value = flag["value"]
    if not flag["depends_on_options"]:
        return yes if value else no
    known = {profile: v for profile, v in value.items() if v is not None}
    if not known:
        return f"depends on its options: {short_doc(flag['doc'])}"
    if len(set(known.values())) == 1:
        answer = "yes" if next(iter(known.values())) else "no"
        return f"{answer} with every profile's defaults; depends on its options: {short_doc(flag['doc'])}"
    per_profile = ", ".join(f"{profile} {'yes' if v else 'no'}" for profile, v in known.items())
    return f"{per_profile} with the defaults; depends on its options: {short_doc(flag['doc'])}"


# -- plugins and lifters -----------------------------------------------------------------------


def describe_plugin(id: str) -> dict[str, Any]:
    """A plugin: its description, its class's summary and its constructor's options with defaults.

    Raises:
        RegistryError: an unknown id.
        ImportError: an entry point that cannot be loaded.
    """
    from lifelong_pose.registry import load_entry_point

    spec = plugin_registry.spec(id)
    target = load_entry_point(spec.entry_point)
    docs = documented_names(target)
    options = []
    for parameter in _options(target):
        default = None if parameter.default is inspect.Parameter.empty else _json_ready(parameter.default)
        options.append(
            {
                "name": parameter.name,
                "type": "" if parameter.annotation is inspect.Parameter.empty else type_text(parameter.annotation),
                "default": default,
                "required": parameter.default is inspect.Parameter.empty,
                "doc": docs.get(parameter.name, ""),
            }
        )
    for name, value in spec.kwargs.items():  # the registration's own defaults come first at build time
        for option in options:
            if option["name"] == name:
                option.update(default=_json_ready(value), required=False)
    return {
        "kind": "plugin",
        "id": spec.id,
        "description": spec.description,
        "entry_point": spec.entry_point,
        "summary": first_paragraph(target),
        "options": options,
    }


def _options(target: Any) -> list[inspect.Parameter]:
    """The keyword options a plugin's constructor takes (``*args``/``**kwargs`` are no options)."""
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    plain = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [parameter for parameter in signature.parameters.values() if parameter.kind in plain]


def plugin_text(described: Mapping[str, Any]) -> str:
    from tabulate import tabulate

    name = parse_id(described["id"]).base
    lines = [f"{described['id']}: {described['description']}", f"entry point: {described['entry_point']}"]
    if described["summary"]:
        lines += ["", described["summary"]]
    if not described["options"]:
        lines += ["", "No options."]
        return "\n".join(lines)
    lines += ["", f"Options (add it with --plugin {name}; set with --set {name}.NAME=VALUE):"]
    rows = [
        [
            option["name"],
            option["type"],
            "(required)" if option["required"] else value_text(option["default"]),
            short_doc(option["doc"]),
        ]
        for option in described["options"]
    ]
    lines.append(
        tabulate(
            rows,
            headers=["option", "type", "default", "what it is"],
            disable_numparse=True,
            maxcolwidths=[None, None, None, DOC_WIDTH],
        )
    )
    return "\n".join(lines)


def describe_lifter(id: str) -> dict[str, Any]:
    """A lifter from its registration alone (no torch): description, entry point, sizes per profile.

    Raises:
        RegistryError: an unknown id.
    """
    spec = lifter_registry.spec(id)
    return {
        "kind": "lifter",
        "id": spec.id,
        "description": spec.description,
        "entry_point": spec.entry_point,
        "profiles": _json_ready(spec.profiles),
        "kwargs": _json_ready(spec.kwargs),
    }


def lifter_text(described: Mapping[str, Any]) -> str:
    from tabulate import tabulate

    lines = [f"{described['id']}: {described['description']}", f"entry point: {described['entry_point']}"]
    profiles = described["profiles"]
    names = list(dict.fromkeys(name for sizes in profiles.values() for name in sizes))
    if names:
        lines += ["", f"Sizes per profile (a strategy's lifter={described['id']} builds it with them):"]
        rows = [[name, *(value_text(profiles[p].get(name, "")) for p in profiles)] for name in names]
        lines.append(tabulate(rows, headers=["size", *profiles], disable_numparse=True))
    return "\n".join(lines)


DESCRIBERS = {
    "strategy": (describe_strategy, strategy_text),
    "plugin": (describe_plugin, plugin_text),
    "lifter": (describe_lifter, lifter_text),
}


def describe_registered(kind: str, id: str, *, as_json: bool, also: Sequence[str] = ()) -> int:
    """Print a strategy, plugin or lifter (``--json``: its data); a note where other kinds know ``id`` too."""
    describe, text = DESCRIBERS[kind]
    described = describe(id)
    if as_json:
        print(json.dumps(described, indent=2))
        return 0
    print(text(described))
    for other in also:
        print(f"\n('{id}' is also a registered {other}: 'lifelong-pose describe {id} --kind {other}')")
    return 0
