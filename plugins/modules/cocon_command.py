#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cocon_command
short_description: Run raw commands on the ECSS-10 CoCon console
version_added: 0.1.0
description:
  - Sends each command to the CoCon console over one SSH session and returns what CoCon printed.
  - Use it for what no state module covers. It cannot know whether a command changes anything,
    so it always reports C(changed) (use C(changed_when) for read-only commands) and does not
    support check mode.
  - A command whose output carries a CoCon failure marker fails the task with CoCon's own words,
    after the commands before it have run.
  - API keys found in the output (C(API key:) lines and the C(API Key) column of
    C(integrations/list)) are masked; use M(ecss.callapi.integration) or
    M(ecss.callapi.integration_info) to read keys.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.cocon
attributes:
  check_mode:
    support: none
    description: Refuses to run in check mode; CoCon commands cannot be simulated.
  diff_mode:
    support: none
    description: No diff.
options:
  commands:
    description:
      - CoCon commands, each a full path such as C(/domain/biysk.local/alias/info 240473 loc.gr 240473@biysk.local).
      - A command must be one line; newlines and control characters are rejected before anything is sent.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Show the domains of the cluster
  ecss.callapi.cocon_command:
    cocon_host: 10.0.0.5
    cocon_password: "{{ vault_cocon_password }}"
    commands:
      - /domain/list
  register: domains

- name: Check whether a subscriber's phone is registered
  ecss.callapi.cocon_command:
    commands:
      - /domain/biysk.local/sip/user/info loc.gr 240473@biysk.local
  changed_when: false
"""

RETURN = r"""
commands:
  description: The commands sent, in order.
  returned: always
  type: list
  elements: str
  sample: ["/domain/list"]
results:
  description: One entry per command.
  returned: success
  type: list
  elements: dict
  contains:
    command:
      description: The command.
      type: str
    stdout:
      description: What CoCon printed, without the C([exec at ...]) footer, API keys masked.
      type: str
    stdout_lines:
      description: RV(results[].stdout) split into lines.
      type: list
      elements: str
    footer:
      description: The parsed footer (C(exec_at), C(exec_time_ms), C(nodes)), or null.
      type: dict
  sample:
    - command: /domain/list
      stdout: "..."
      stdout_lines: ["..."]
      footer: {exec_at: "16.02.2021 15:20:33", exec_time_ms: 25, nodes: "ds1@ecss1 v.3.14.7.585"}
"""

import re

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import (
    cocon_argument_spec,
    run_cocon_module,
)

_KEY_LINE_RE = re.compile(r"(API key:\s*)[A-Za-z0-9]{16,}", re.IGNORECASE)
# A 64-character key in an integrations/list table cell.
_KEY_CELL_RE = re.compile(u"(│\\s*)[A-Za-z0-9]{40,}(\\s*│)")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def mask_keys(text):
    text = _KEY_LINE_RE.sub(r"\1********", text)
    return _KEY_CELL_RE.sub(lambda m: m.group(1) + "********" + m.group(2), text)


def main():
    argument_spec = cocon_argument_spec()
    argument_spec.update(
        commands=dict(type="list", elements="str", required=True),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=False)
    commands = module.params["commands"]
    for command in commands:
        if not command.strip() or _CONTROL_RE.search(command):
            module.fail_json(msg="command %r is empty or holds a newline or control character; "
                                 "give one CoCon command per list item" % command)

    def work(client, sent):
        results = []
        for command in commands:
            sent.append(command)
            result = client.run(command)
            stdout = mask_keys(result.body)
            results.append(dict(command=command, stdout=stdout, stdout_lines=stdout.splitlines(),
                                footer=result.footer))
        return dict(changed=True, results=results)

    run_cocon_module(module, work)


if __name__ == "__main__":
    main()
