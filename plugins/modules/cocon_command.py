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
    after the commands before it have run; the failed task then reports C(changed=true) when any
    command before it ran, and RV(results) holds their output.
  - API keys found in the output (C(API key:) lines and the C(API Key) column of
    C(integrations/list)) are masked; use M(ecss.callapi.integration) or
    M(ecss.callapi.integration_info) to read keys.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.cocon
  - ecss.callapi.attributes
  - ecss.callapi.attributes.cocon_group
attributes:
  check_mode:
    support: none
    details:
      - Refuses to run in check mode; CoCon commands cannot be simulated.
  diff_mode:
    support: none
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
  description: One entry per command that ran (on failure, the ones before the failed command).
  returned: always
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
capabilities:
  description: What the module found out about the console, as M(ecss.callapi.cocon_facts) returns it.
  returned: always
  type: dict
  sample: {exec_channels_per_connection: many, number_ranges: false}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import cocon_argument_spec, run_cocon_module
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_raw import run_commands


def main():
    module = AnsibleModule(
        argument_spec=cocon_argument_spec(commands=dict(type="list", elements="str", required=True)),
        supports_check_mode=False,
    )
    run_cocon_module(module, run_commands)


if __name__ == "__main__":
    main()
