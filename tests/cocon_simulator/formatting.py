"""Output shapes of the real console: box-drawn tables, the footer, the alias/set report."""

import datetime
import re

from cocon_simulator import FOOTER_NODES

ALIAS_SET_LEGEND = (
    "Legend:\n"
    "  a: Setup alias address\n"
    "  i: Setup alias inteface\n"
    "  !: Setup broken. Alias allready exists\n"
    "  *: Setup broken. Alias not exists\n"
    "  L: Setup broken. No free subscriber licences.\n"
    "  x: Setup broken. Unexpected error\n"
    "  <empty>: Successfull setup\n"
)


def box_table(header, rows):
    """Draw a table as CoCon does: no margin inside cells, header centred, cells left-aligned.

    The centring (extra space on the right) matches integrations_list.2019.txt.
    An empty ``rows`` gives the header box alone.
    """
    widths = [len(title) for title in header]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))

    def border(left, middle, right):
        return left + middle.join("─" * width for width in widths) + right + "\n"

    def line(cells, centre):
        padded = []
        for cell, width in zip(cells, widths):
            if centre:
                left = (width - len(cell)) // 2
                padded.append(" " * left + cell + " " * (width - len(cell) - left))
            else:
                padded.append(cell.ljust(width))
        return "│" + "│".join(padded) + "│\n"

    text = border("┌", "┬", "┐") + line(header, True)
    if rows:
        text += border("├", "┼", "┤")
        text += "".join(line(row, False) for row in rows)
    return text + border("└", "┴", "┘")


def flatten_table(table):
    """A box table on one line, as the seed's ``*.flat.txt`` transcripts show it: the lines
    joined by a space and every run of padding collapsed to one space."""
    return re.sub(" +", " ", " ".join(table.splitlines())) + "\n"


def name_value_lines(pairs):
    return "".join("%s: %s\n" % (name, value) for name, value in pairs)


def footer(started_at, elapsed_ms):
    return "[exec at: %s, exec time: %dms, nodes: %s]" % (
        started_at.strftime("%d.%m.%Y %H:%M:%S"),
        elapsed_ms,
        FOOTER_NODES,
    )


def with_footer(body, started_at=None, elapsed_ms=0, crlf=False):
    """Body, then a blank line and the footer: the frame of every CoCon answer."""
    started_at = started_at or datetime.datetime.now()
    if body and not body.endswith("\n"):
        body += "\n"
    text = body + "\n" + footer(started_at, elapsed_ms) + "\n"
    return text.replace("\n", "\r\n") if crlf else text


def alias_set_report(domain, prop, results):
    """``results``: (flag, alias, hash) in command order; flag '' means success."""
    text = "There are aliases within domain %s affected by settings property %s:\n" % (domain, prop)
    text += "".join("  %s%s <-> %s\n" % (flag, alias, alias_hash) for flag, alias, alias_hash in results)
    return text + ALIAS_SET_LEGEND
