# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""readiness_report: the report put together once, written on the controller, summed up small.

Everything happens in the controller's process, with no module run: the report of thousands of
checks is built once, serialised once per file, and only its counts and the play output
sections go back into the registered variable, so no later task templates the big structure
again (ansible-core 2.19 pays for every reference to it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import time

from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase
from ansible.plugins.filter.core import to_nice_json

from ansible_collections.ecss.callapi.plugins.filter.readiness import (
    readiness_html,
    readiness_report,
    readiness_sections,
)
from ansible_collections.ecss.callapi.plugins.plugin_utils.private_files import write_private_files

ARGUMENT_SPEC = dict(
    checks=dict(type="list", elements="dict", required=True),
    unreached=dict(type="list", elements="str", default=[]),
    domains=dict(type="list", elements="dict", default=[]),
    dest=dict(type="path", required=True),
)
FILES = ("readiness.json", "readiness.html")


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        report = readiness_report(args["checks"], time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                  unreached=args["unreached"])
        contents = (to_nice_json(report, indent=2) + "\n", readiness_html(report, args["domains"]))
        paths = [os.path.join(args["dest"], name) for name in FILES]
        changed, _written = write_private_files(
            args["dest"], [(path, to_bytes(text, errors="surrogate_or_strict")) for path, text in zip(paths, contents)],
            bool(self._task.check_mode))
        result.update(changed=changed, ready=report["ready"], generated_at=report["generated_at"],
                      counts=report["counts"], sections=readiness_sections(report), files=paths)
        return result
