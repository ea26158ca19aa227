# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""widget_settings_files: every domain's <domain>.json and .yml, written on the controller in one task.

No module run: the files live on the controller, so a copy per file (stat, transfer, move, each
a Python start on the controller) cost about 1.3 s apiece for what is a few hundred bytes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase
from ansible.plugins.filter.core import to_nice_json, to_nice_yaml

from ansible_collections.ecss.callapi.plugins.filter.widget import widget_settings
from ansible_collections.ecss.callapi.plugins.plugin_utils.private_files import write_private_files

ARGUMENT_SPEC = dict(
    domains=dict(type="list", elements="dict", required=True),
    api_keys=dict(type="dict", required=True, no_log=True),
    call_api_host=dict(type="str", required=True),
    call_api_port=dict(type="int", required=True),
    dest=dict(type="path", required=True),
)
FORMATS = (
    ("json", lambda settings: to_nice_json(settings, indent=2) + "\n"),
    ("yml", lambda settings: to_nice_yaml(settings, indent=2)),
)


def settings_files(domains, api_keys, call_api_host, call_api_port, dest):
    """``(path, bytes)`` of each file to write, and the domains left out because they have no key yet."""
    files, without_key = [], []
    for domain in domains:
        if not domain.get("name") or not domain.get("client_id"):
            raise AnsibleActionFail("widget_settings_files: every domain needs a name and a client_id, got one with "
                                    "the keys: %s" % (", ".join(sorted(domain)) or "none"))
        if not api_keys.get(domain["name"]):
            without_key.append(domain["name"])
            continue
        settings = widget_settings(domain, api_keys[domain["name"]], call_api_host, call_api_port)
        for extension, render in FORMATS:
            files.append((os.path.join(dest, "%s.%s" % (domain["name"], extension)),
                          to_bytes(render(settings), errors="surrogate_or_strict")))
    return files, without_key


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        files, without_key = settings_files(args["domains"], args["api_keys"], args["call_api_host"],
                                            args["call_api_port"], args["dest"])
        changed, written = write_private_files(args["dest"], files, bool(self._task.check_mode))
        result.update(changed=changed, files=[path for path, _data in files], written=written, without_key=without_key)
        return result
