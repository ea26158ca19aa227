"""Output shapes of the real console: box-drawn tables, the footer, the alias/set report."""

import datetime

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


def footer(started_at, elapsed_ms):
    return "[exec at: %s, exec time: %dms, nodes: %s]" % (
        started_at.strftime("%d.%m.%Y %H:%M:%S"),
        elapsed_ms,
        FOOTER_NODES,
    )


def with_footer(body, started_at=None, elapsed_ms=0):
    """Body, then a blank line and the footer: the frame of every CoCon answer."""
    started_at = started_at or datetime.datetime.now()
    if body and not body.endswith("\n"):
        body += "\n"
    return body + "\n" + footer(started_at, elapsed_ms) + "\n"


def alias_set_report(domain, prop, results):
    """``results``: (flag, alias, hash) in command order; flag '' means success."""
    text = "There are aliases within domain %s affected by settings property %s:\n" % (domain, prop)
    text += "".join("  %s%s <-> %s\n" % (flag, alias, alias_hash) for flag, alias, alias_hash in results)
    return text + ALIAS_SET_LEGEND
