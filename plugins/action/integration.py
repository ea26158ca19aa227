# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the module; keep an API key out of every output while the registered variable keeps it.

A result without a key - every failure, ``state: absent``, a check run before the integration
exists - is returned as it is, so callbacks, ``-v`` and AWX job events show it whole.

A result that holds a key is marked ``no_log``: Ansible (2.16 to 2.19) can only hide a whole
result, never one field, so the censored copy the callbacks get keeps only ``changed``. The
registered variable, made from the uncensored result, keeps the key. Everything else - msg,
changed, commands, the key's fingerprint, warnings - is printed here once, key removed, where
Ansible would have shown the result: with ``-v`` and more (at the default verbosity an ok or
changed result shows no content anyway). With ``--diff`` the (key-free) diff is printed too,
which Ansible drops from a hidden result.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json
import re

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()

# CoCon's keys are 64 letters and digits; no identifier or fingerprint of ours is 40 long.
KEY_SHAPED = re.compile(r"[A-Za-z0-9]{40,}")
HIDDEN = "<hidden>"
SECRET_FIELDS = ("api_key",)
NOT_SHOWN = ("invocation", "diff")


def holds_secret(value):
    """True when ``value`` (a module result) carries a key: an ``api_key`` field or key-shaped text."""
    if isinstance(value, dict):
        return any((key in SECRET_FIELDS and item) or holds_secret(item) for key, item in value.items())
    if isinstance(value, list):
        return any(holds_secret(item) for item in value)
    return isinstance(value, str) and KEY_SHAPED.search(value) is not None


def without_secrets(value):
    """A copy of ``value`` with every ``api_key`` field left out and key-shaped text replaced."""
    if isinstance(value, dict):
        return dict((key, without_secrets(item)) for key, item in value.items() if key not in SECRET_FIELDS)
    if isinstance(value, list):
        return [without_secrets(item) for item in value]
    if isinstance(value, str):
        return KEY_SHAPED.sub(HIDDEN, value)
    return value


def shown_copy(result):
    """What the callbacks would have shown of ``result``, key removed."""
    return without_secrets(dict((key, item) for key, item in result.items()
                                if not key.startswith("_ansible_") and key not in NOT_SHOWN))


class ActionModule(ActionBase):

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        result.update(self._execute_module(module_name=self._task.resolved_action or self._task.action,
                                           module_args=self._task.args, task_vars=task_vars))
        if not holds_secret(result):
            return result
        result["_ansible_no_log"] = True
        line = "%s [%s]: result without the API key (Ansible hides the whole result; the registered variable " \
               "holds the key): %s" % (self._task.resolved_action or self._task.action,
                                       (task_vars or {}).get("inventory_hostname", ""),
                                       json.dumps(shown_copy(result), sort_keys=True, default=str))
        display.v(line)
        if self._play_context.diff and result.get("diff") and result.get("changed"):
            display.display(self.diff_text(without_secrets(result["diff"])))
        return result

    @staticmethod
    def diff_text(diff):
        before = json.dumps(diff.get("before", {}), indent=4, sort_keys=True).splitlines()
        after = json.dumps(diff.get("after", {}), indent=4, sort_keys=True).splitlines()
        return "\n".join(difflib.unified_diff(before, after, "before", "after", lineterm=""))
