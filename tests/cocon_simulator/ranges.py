"""ECSS number ranges: ``24047{3-9}`` is 240473 .. 240479.

A token may hold several ``{...}`` groups; each holds comma-separated items that are a
number or ``A-B``. Several groups expand as a cartesian product, left to right.
"""

import itertools
import re

# Past this a typo like {0-99999999} would eat the simulator's memory.
MAX_EXPANSION = 100_000

_GROUP = re.compile(r"\{([^{}]*)\}")
_ITEM = re.compile(r"^(\d+)(?:-(\d+))?$")


class RangeError(ValueError):
    pass


def has_range(token):
    return "{" in token or "}" in token


def _expand_group(body):
    values = []
    for item in body.split(","):
        match = _ITEM.match(item.strip())
        if not match:
            raise RangeError("bad range item '%s'" % item)
        start_text, end_text = match.group(1), match.group(2) or match.group(1)
        start, end = int(start_text), int(end_text)
        if end < start:
            raise RangeError("range end %s is below its start %s" % (end_text, start_text))
        # {00-10} keeps its zero padding, as numbers in a dial plan do.
        width = len(start_text) if start_text.startswith("0") and len(start_text) > 1 else 0
        if len(values) + end - start + 1 > MAX_EXPANSION:
            raise RangeError("range too large")
        values.extend(str(number).zfill(width) for number in range(start, end + 1))
    return values


def expand(token):
    """Return the list of strings a token stands for (the token itself if it has no range)."""
    pieces = []
    position = 0
    for match in _GROUP.finditer(token):
        pieces.append([token[position:match.start()]])
        pieces.append(_expand_group(match.group(1)))
        position = match.end()
    tail = token[position:]
    if "{" in tail or "}" in tail or any("{" in p[0] or "}" in p[0] for p in pieces[::2]):
        raise RangeError("unbalanced braces in '%s'" % token)
    pieces.append([tail])
    total = 1
    for options in pieces:
        total *= len(options)
    if total > MAX_EXPANSION:
        raise RangeError("range too large")
    return ["".join(combo) for combo in itertools.product(*pieces)]
