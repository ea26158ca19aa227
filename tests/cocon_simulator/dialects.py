"""Named dialects: behaviours a real CoCon could plausibly have where nothing confirms one.

A dialect is data, not code: each name sets a few behaviour fields, names compose with
commas, and the Console (model.py) and the SSH server (server.py) consult the resolved
``Dialect``. The names are fixed by DIALECTS.md; tests, the benchmark and docs use them.
"""

import dataclasses

# name -> (one-line description, the behaviour fields it sets)
DIALECTS = {
    "reference": ("number ranges expanded, many exec channels per connection, box tables", {}),
    "ranges_literal": (
        "a range is one literal alias that does not exist (info: not found; set: flagged *)",
        {"ranges": "literal"},
    ),
    "ranges_invalid": (
        "any argument holding a range is answered Invalid command's arguments",
        {"ranges": "invalid"},
    ),
    "ranges_read_only": (
        "alias/info expands ranges; alias/set takes a range literally",
        {"ranges": "read_only"},
    ),
    "one_channel_refused": ("a second exec channel on a connection is refused", {"later_channels": "refused"}),
    "one_channel_closed": (
        "later channels are accepted, then closed at once: no output, no exit status",
        {"later_channels": "closed"},
    ),
    "one_channel_hung": (
        "later channels are accepted and never answered",
        {"later_channels": "hung"},
    ),
    "csta_lines": ("/api/csta/info prints name: value lines", {"csta_info": "lines"}),
    "csta_absent": ("/api/csta/info does not exist", {"csta_info": "absent"}),
    "alias_lines": (
        "alias/info prints name: value lines per alias, unset properties left out",
        {"alias_info": "lines"},
    ),
    "crlf_flat": ("lines end CR LF; box tables on one line, padding collapsed", {"crlf_flat": True}),
    "slow": ("100 ms per command (--latency-ms overrides it)", {"latency_ms": 100}),
}


class DialectError(ValueError):
    pass


@dataclasses.dataclass(frozen=True)
class Dialect:
    """The resolved behaviour. Defaults are the ``reference`` dialect."""

    names: tuple = ("reference",)
    ranges: str = "expand"  # expand | literal | invalid | read_only
    later_channels: str = "served"  # served | refused | closed | hung
    csta_info: str = "table"  # table | lines | absent
    alias_info: str = "table"  # table | lines
    crlf_flat: bool = False
    latency_ms: int = 0

    @property
    def expands_ranges_in_info(self):
        return self.ranges in ("expand", "read_only")

    @property
    def expands_ranges_in_set(self):
        return self.ranges == "expand"


def known_names():
    return ", ".join(DIALECTS)


def resolve(spec):
    """A ``Dialect`` from ``"a,b"``, a list of names, None or ``""`` (the reference).

    Two names that set the same behaviour differently (``ranges_literal,ranges_invalid``)
    are refused: the result would depend on their order.
    """
    if spec is None:
        names = []
    elif isinstance(spec, str):
        names = [name.strip() for name in spec.split(",")]
    else:
        names = [str(name).strip() for name in spec]
    names = [name for name in names if name]
    unknown = [name for name in names if name not in DIALECTS]
    if unknown:
        raise DialectError("unknown dialect %s; known dialects: %s" % (", ".join(unknown), known_names()))
    fields, set_by = {}, {}
    for name in names:
        for field, value in DIALECTS[name][1].items():
            if field in fields and fields[field] != value:
                raise DialectError("dialects %s and %s conflict (%s)" % (set_by[field], name, field))
            fields[field] = value
            set_by[field] = name
    ordered = tuple(dict.fromkeys(names)) or ("reference",)
    return Dialect(names=ordered, **fields)
