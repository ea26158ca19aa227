# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of ``ecss.callapi.cocon_command``: raw commands, one after the other, keys masked."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import CoconError
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import TaskFailed
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import CoconInputError

_KEY_LINE_RE = re.compile(r"(API key:\s*)[A-Za-z0-9]{16,}", re.IGNORECASE)
# A 64-character key in an integrations/list table cell.
_KEY_CELL_RE = re.compile(u"(│\\s*)[A-Za-z0-9]{40,}(\\s*│)")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def mask_keys(text):
    text = _KEY_LINE_RE.sub(r"\1********", text)
    return _KEY_CELL_RE.sub(lambda m: m.group(1) + "********" + m.group(2), text)


def run_commands(task, params):
    commands = params["commands"]
    for command in commands:
        if not command.strip() or _CONTROL_RE.search(command):
            raise CoconInputError("command %r is empty or holds a newline or control character; "
                                  "give one CoCon command per list item" % command)
    results = []
    for command in commands:
        try:
            result = task.change(command)
        except CoconError as exc:
            raise TaskFailed(str(exc), failed_command=command, results=results)
        stdout = mask_keys(result.body)
        results.append(dict(command=command, stdout=stdout, stdout_lines=stdout.splitlines(), footer=result.footer))
    return dict(changed=True, results=results)
