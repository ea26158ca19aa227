# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ECSS number ranges: ``24010{0-1}`` stands for 240100 and 240101."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_RANGE_RE = re.compile(r"\{([0-9]+)-([0-9]+)\}")


def expand(pattern):
    """All numbers a pattern stands for, in order (several ranges multiply out)."""
    match = _RANGE_RE.search(pattern)
    if not match:
        return [pattern]
    low, high = match.group(1), match.group(2)
    width = len(low)
    head, tail = pattern[:match.start()], pattern[match.end():]
    numbers = []
    for value in range(int(low), int(high) + 1):
        for rest in expand(tail):
            numbers.append("%s%0*d%s" % (head, width, value, rest))
    return numbers


def compress(numbers, max_run=500):
    """Group numbers into ranges of consecutive numbers of equal length.

    Returns ``[(pattern, [numbers...]), ...]``; a number with no neighbour (or not made of
    digits only) stands alone as its own pattern.  ``expand(pattern)`` gives back the list.
    """
    digits = sorted(set(n for n in numbers if n.isdigit()), key=lambda n: (len(n), int(n)))
    others = sorted(set(n for n in numbers if not n.isdigit()))
    groups = []
    run = []
    for number in digits:
        if run and len(number) == len(run[-1]) and int(number) == int(run[-1]) + 1 and len(run) < max_run:
            run.append(number)
            continue
        if run:
            groups.append(_as_range(run))
        run = [number]
    if run:
        groups.append(_as_range(run))
    groups.extend((number, [number]) for number in others)
    return groups


def _as_range(run):
    if len(run) == 1:
        return run[0], run
    first, last = run[0], run[-1]
    prefix_length = 0
    while first[prefix_length] == last[prefix_length]:
        prefix_length += 1
    pattern = "%s{%s-%s}" % (first[:prefix_length], first[prefix_length:], last[prefix_length:])
    return pattern, run
