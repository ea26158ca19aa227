# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of ``ecss.callapi.cocon_read``: the read commands the collection relies on, answers kept
as CoCon printed them, secrets redacted before they leave the module.

Only commands of :data:`READ_COMMANDS` are sent, each argument checked like every identifier
of the collection; anything else is refused before the first command.  An answer that carries
a failure marker is a result like any other (``status`` says which), so one missing command
does not hide the others; a console that cannot be reached or logged in to fails the task.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import (
    CoconCommandError,
    CoconError,
    CoconInvalidArgumentsError,
    CoconLockedError,
    CoconTimeoutError,
    CoconUnknownCommandError,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import TaskFailed
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import parse_footer
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_redact import Redactor
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import CoconInputError, check_identifier

# Path (``{domain}`` is a domain name) and the kinds of its arguments.  Every one only reads
# ([seen] in cocon-reference.md, except /api/csta/info, a [guess] the collection relies on).
READ_COMMANDS = (
    ("/domain/list", ()),
    ("/api/csta/info", ()),
    ("/domain/{domain}/integrations/list", ()),
    ("/domain/{domain}/alias/info", ("alias_or_range", "group", "iface_or_range")),
    ("/domain/{domain}/sip/user/info", ("group", "iface")),
)
# The status of an answer, by the class its failure marker selects (most specific first).
STATUSES = (
    (CoconUnknownCommandError, "no_such_command"),
    (CoconInvalidArgumentsError, "invalid_arguments"),
    (CoconLockedError, "locked"),
    (CoconCommandError, "command_error"),
    (CoconTimeoutError, "timeout"),
)
_NOT_PRINTABLE_ASCII_RE = re.compile(r"[^\x20-\x7e]")
_SINGLE_RANGE_RE = re.compile(r"\A[0-9]*\{[0-9]+-[0-9]+\}[0-9]*\Z")


def _check_argument(kind, value, option):
    if kind == "alias_or_range":
        return _check_range(value, option) if "{" in value else check_identifier("alias", value, option)
    if kind == "iface_or_range":
        if "{" not in value:
            return check_identifier("iface", value, option)
        number, at, domain = value.partition("@")
        return _check_range(number, option) + at + (check_identifier("domain", domain, option) if at else "")
    return check_identifier(kind, value, option)


def _check_range(value, option):
    if not _SINGLE_RANGE_RE.match(value):
        raise CoconInputError("%s %r is not a number range such as 24047{3-5}" % (option, value))
    return check_identifier("numbers", value, option)


def _path_matches(template, path):
    """The domain a path names when it has the shape of ``template`` ('' when it names none), else None."""
    want, have = template.split("/"), path.split("/")
    if len(want) != len(have):
        return None
    domain = ""
    for expected, actual in zip(want, have):
        if expected == "{domain}":
            domain = actual
        elif expected != actual:
            return None
    return domain


def check_read_command(command, option="commands"):
    """``command`` as it will be sent, if it is one of :data:`READ_COMMANDS`; else CoconInputError."""
    if not isinstance(command, str):
        raise CoconInputError("%s: each command must be a string, got %s" % (option, type(command).__name__))
    odd = _NOT_PRINTABLE_ASCII_RE.search(command)
    if odd:
        raise CoconInputError("%s: %r holds %r (U+%04X); a read command is one line of printable ASCII"
                              % (option, command, odd.group(0), ord(odd.group(0))))
    words = command.split(" ")
    for template, kinds in READ_COMMANDS:
        domain = _path_matches(template, words[0])
        if domain is None:
            continue
        if len(words) - 1 != len(kinds):
            raise CoconInputError("%s: %r takes %d argument(s) separated by single spaces: %s"
                                  % (option, command, len(kinds), " ".join(kinds) or "none"))
        if domain:
            check_identifier("domain", domain, "%s: the domain of %r" % (option, command))
        for kind, value in zip(kinds, words[1:]):
            _check_argument(kind, value, "%s: %s of %r" % (option, kind, command))
        return command
    raise CoconInputError(
        "%s: %r is not one of the read commands this module sends (%s); use ecss.callapi.cocon_command for others"
        % (option, command, ", ".join(" ".join([template] + ["<%s>" % k for k in kinds])
                                      for template, kinds in READ_COMMANDS)))


def status_of(error):
    return next(status for error_class, status in STATUSES if isinstance(error, error_class))


def read_commands(task, params):
    commands = [check_read_command(command) for command in params["commands"]]
    redactor = Redactor([params["cocon_password"]])
    answers = []
    for command in commands:
        try:
            result = task.read(command)
        except (CoconCommandError, CoconTimeoutError) as exc:
            answers.append(dict(command=command, status=status_of(exc), raw=exc.output or "",
                                words=getattr(exc, "words", None) or str(exc)))
        except CoconError as exc:
            raise TaskFailed("%s (results holds the answers before it)" % exc, failed_command=exc.command,
                             results=_redacted(answers, redactor))
        else:
            answers.append(dict(command=command, status="ok", raw=result.raw, words=None))
    return dict(changed=False, results=_redacted(answers, redactor))


def _redacted(answers, redactor):
    for answer in answers:
        redactor.learn(answer["raw"])
    results = []
    for answer in answers:
        output = redactor.redact(answer["raw"])
        results.append(dict(
            command=answer["command"],
            status=answer["status"],
            output=output,
            words=redactor.redact(answer["words"]),
            footer=parse_footer(output)[1],
        ))
    return results
