# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: SIGKILL the whole ansible-playbook the moment a chosen task starts.

It stands in for a controller that dies mid-run (AWX node lost, operator's laptop closed):
no rescue, no handler, no cleanup runs. ``ECSS_TEST_INTERRUPT_AT`` is a regular expression
on the task name; ``ECSS_TEST_INTERRUPT_MARKER`` a file that records which task it was.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: interrupt_at_task
type: aggregate
short_description: Kill ansible-playbook when a task whose name matches ECSS_TEST_INTERRUPT_AT starts (tests only)
description:
  - Test fixture of the ecss.callapi functional tests.
requirements:
  - enabled in ANSIBLE_CALLBACKS_ENABLED
"""

import os
import re
import signal

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "interrupt_at_task"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_task_start(self, task, is_conditional):
        pattern = os.environ.get("ECSS_TEST_INTERRUPT_AT")
        if not pattern or not re.search(pattern, task.get_name()):
            return
        with open(os.environ["ECSS_TEST_INTERRUPT_MARKER"], "w") as handle:
            handle.write(task.get_name())
        os.killpg(os.getpgrp(), signal.SIGKILL)
