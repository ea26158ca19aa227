# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the module, then hide its result from output: it carries an API key.

The registered variable keeps the full result (Ansible censors only the copy it shows), so
playbooks still read ``api_key``; callbacks, ``-vvv`` and AWX job events see ``censored``.
A hidden result loses its diff too, so with ``--diff`` the (key-free) diff is shown here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import difflib
import json

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()


class ActionModule(ActionBase):

    def result_holds_secrets(self, result):
        return True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        result.update(self._execute_module(module_name=self._task.resolved_action or self._task.action,
                                           module_args=self._task.args, task_vars=task_vars))
        if self.result_holds_secrets(result):
            result["_ansible_no_log"] = True
            if self._play_context.diff and result.get("diff") and result.get("changed"):
                display.display(self.diff_text(result["diff"]))
        return result

    @staticmethod
    def diff_text(diff):
        before = json.dumps(diff.get("before", {}), indent=4, sort_keys=True).splitlines()
        after = json.dumps(diff.get("after", {}), indent=4, sort_keys=True).splitlines()
        return "\n".join(difflib.unified_diff(before, after, "before", "after", lineterm=""))
