# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed CoCon failures, and the one declared list of answers that select them.

Nothing outside this file looks at CoCon's wording: code catches a class.  Only markers that
``cocon-reference.md`` marks [seen] are listed; an answer without one of them is not a failure
(what it means is then decided by its parser, by what it shows).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import normalize_newlines


class CoconError(Exception):
    """Any failure talking to CoCon.  ``command`` is the command being run, if any."""

    def __init__(self, message, command=None, output=None):
        super(CoconError, self).__init__(message)
        self.command = command
        self.output = output


class CoconConnectionError(CoconError):
    """Refused, unreachable or dropped connection."""


class CoconChannelError(CoconConnectionError):
    """The console did not serve an exec channel on a live connection: refused, or closed without a word.

    ``ran`` is False: the console never answered, so it never ran the command (CoCon prints at
    least its footer for every command it runs).
    """

    def __init__(self, message, command=None, output=None, how="refused"):
        super(CoconChannelError, self).__init__(message, command, output)
        self.how = how
        self.ran = False


class CoconAuthError(CoconError):
    """The console rejected the user name or password."""


class CoconHostKeyError(CoconError):
    """The console's host key is unknown (strict policy) or differs from the recorded one."""


class CoconTimeoutError(CoconError):
    """CoCon did not answer within the timeout (the command may still run)."""


class CoconOutputError(CoconError):
    """CoCon answered without a failure marker, but not with what the command must print."""


class CoconCommandError(CoconError):
    """CoCon answered with a failure marker (``Command error:``).  ``words``: CoCon's own words."""

    def __init__(self, message, command=None, output=None, words=None):
        super(CoconCommandError, self).__init__(message, command, output)
        self.words = words


class CoconUnknownCommandError(CoconCommandError):
    """``There is no such command:`` -- this console does not have the command."""


class CoconInvalidArgumentsError(CoconCommandError):
    """``Invalid command's arguments:``."""


class CoconLockedError(CoconCommandError):
    """``temporary locked``: another session holds the configuration lock (retried by the client)."""


# In order: the first pattern found in a line selects the class (CoCon words a lock as
# "Command error: ... temporary locked ...", so the lock comes first).
FAILURE_PATTERNS = (
    ("temporary locked", CoconLockedError),
    ("There is no such command:", CoconUnknownCommandError),
    ("Invalid command's arguments:", CoconInvalidArgumentsError),
    ("Command error:", CoconCommandError),
)


def classify_failure(text):
    """``(error class, CoCon's words)`` for the first line that carries a failure marker, else None.

    The words run from the line's first marker to its end, footer cut off.
    """
    for line in normalize_newlines(text or "").split("\n"):
        found = [(line.find(marker), error_class) for marker, error_class in FAILURE_PATTERNS if marker in line]
        if not found:
            continue
        error_class = found[0][1]
        words = line[min(index for index, _cls in found):]
        footer_at = words.find("[exec at:")
        return error_class, (words[:footer_at] if footer_at != -1 else words).strip()
    return None


def error_for_answer(command, output):
    """The typed error an answer stands for, or None when it carries no failure marker."""
    found = classify_failure(output)
    if found is None:
        return None
    error_class, words = found
    return error_class("CoCon refused %r: %s" % (command, words), command, output, words)
