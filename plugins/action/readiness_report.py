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
import stat
import tempfile
import time

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase
from ansible.plugins.filter.core import to_nice_json

from ansible_collections.ecss.callapi.plugins.filter.readiness import (
    readiness_html,
    readiness_report,
    readiness_sections,
)

ARGUMENT_SPEC = dict(
    checks=dict(type="list", elements="dict", required=True),
    unreached=dict(type="list", elements="str", default=[]),
    domains=dict(type="list", elements="dict", default=[]),
    dest=dict(type="path", required=True),
)
FILES = ("readiness.json", "readiness.html")


def _directory(path, check_mode):
    """Make ``path`` and each missing parent 0700 (as ansible.builtin.file state=directory mode=0700 does)."""
    missing = []
    while not os.path.isdir(path):
        if os.path.lexists(path):
            raise AnsibleActionFail("%s exists and is not a directory" % path)
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    if not missing:
        if stat.S_IMODE(os.stat(path).st_mode) == 0o700:
            return False
        if not check_mode:
            os.chmod(path, 0o700)
        return True
    if not check_mode:
        for created in reversed(missing):
            os.mkdir(created, 0o700)
            os.chmod(created, 0o700)  # whatever the umask
    return True


def _write(path, data, check_mode):
    """Write ``data`` (bytes) to ``path`` 0600 by an atomic rename; True when the file changes."""
    try:
        with open(path, "rb") as handle:
            same = handle.read() == data
        same = same and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    except OSError:
        same = False
    if same or check_mode:
        return not same
    descriptor, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=os.path.dirname(path))
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise
    return True


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        validation = ArgumentSpecValidator(ARGUMENT_SPEC).validate(self._task.args)
        if validation.error_messages:
            raise AnsibleActionFail("readiness_report: %s" % "; ".join(validation.error_messages))
        args = validation.validated_parameters
        report = readiness_report(args["checks"], time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                                  unreached=args["unreached"])
        contents = (to_nice_json(report, indent=2) + "\n", readiness_html(report, args["domains"]))
        dest, check_mode = args["dest"], bool(self._task.check_mode)
        changed = _directory(dest, check_mode)
        paths = [os.path.join(dest, name) for name in FILES]
        for path, text in zip(paths, contents):
            changed = _write(path, to_bytes(text, errors="surrogate_or_strict"), check_mode) or changed
        result.update(changed=changed, ready=report["ready"], generated_at=report["generated_at"],
                      counts=report["counts"], sections=readiness_sections(report), files=paths)
        return result
