# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the module, then hide its result from output: it carries an API key.

The registered variable keeps the full result (Ansible strips only the display copy), so
playbooks still read ``api_key``; callbacks, ``-vvv`` and AWX job events see ``censored``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):

    def result_holds_secrets(self, result):
        return True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        result.update(self._execute_module(module_name=self._task.resolved_action or self._task.action,
                                           module_args=self._task.args, task_vars=task_vars))
        if self.result_holds_secrets(result):
            result["_ansible_no_log"] = True
        return result
