#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cocon_read
short_description: Run the read-only CoCon commands the collection relies on, secrets redacted
version_added: 0.1.0
description:
  - Sends read commands to the ECSS-10 CoCon console and returns each answer as CoCon printed it
    (line ends and footer included), with API keys and passwords replaced by
    C(<redacted:XXXXXXXX>), the first 8 hex digits of the secret's SHA-256. The raw secrets never
    leave the module, so they are neither in its result nor in C(-vvv) output.
  - Only these commands are accepted, each argument checked like every identifier of the collection;
    anything else fails the task before the first command is sent
    (use M(ecss.callapi.cocon_command) for other commands).
  - C(/domain/list), C(/api/csta/info), C(/domain/<DOMAIN>/integrations/list),
    C(/domain/<DOMAIN>/alias/info <ALIAS> <GROUP> <IFACE>) (the alias and the interface's number may be
    one number range such as C(24047{3-5})) and C(/domain/<DOMAIN>/sip/user/info <GROUP> <IFACE>).
  - An answer with a CoCon failure marker does not fail the task; RV(results) says what it was, so a
    console without one of the commands still shows the others. A console that cannot be reached or
    logged in to fails the task.
  - "What is redacted: the CoCon password, what follows C(API key:), the values of columns and
    C(name: value) lines named after a key, password, secret, token or auth, the value of a table row
    whose parameter or property has such a name (4 characters or more, not a flag such as C(true)), and any run of 40 or more letters and digits that
    mixes both. Each secret found is redacted in every answer of the task."
  - C(playbooks/probe.yml) uses it to write the bundle described in C(docs/real-console.md).
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.cocon
  - ecss.callapi.attributes
  - ecss.callapi.attributes.info
  - ecss.callapi.attributes.cocon_group
options:
  commands:
    description:
      - The read commands, in the order to send them, each a full path with arguments separated by single spaces.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: What this console answers to the commands the collection reads
  ecss.callapi.cocon_read:
    commands:
      - /domain/list
      - /api/csta/info
      - /domain/biysk.local/integrations/list
      - /domain/biysk.local/alias/info 240473 loc.gr 240473@biysk.local
      - /domain/biysk.local/sip/user/info loc.gr 240473@biysk.local
  register: answers

- name: Show the CSTA answer
  ansible.builtin.debug:
    msg: "{{ answers.results[1].output }}"
"""

RETURN = r"""
results:
  description: One entry per command, in the order sent (on failure, the ones answered before it).
  returned: always
  type: list
  elements: dict
  contains:
    command:
      description: The command line as sent.
      type: str
      sample: /api/csta/info
    status:
      description:
        - V(ok), or what the answer was instead, by its failure marker
          (V(no_such_command), V(invalid_arguments), V(command_error), V(locked) after the retries),
          or V(timeout) when no answer came within O(cocon_timeout).
      type: str
      sample: ok
    output:
      description: Everything CoCon printed for the command, footer and line ends as received, secrets redacted.
      type: str
      sample: "New integration was added. API key: <redacted:5b1e3a47>\n\n[exec at: 16.02.2021 16:06:33, exec time: 23ms, nodes: ds1@ecss1 v.3.14.7.585]"
    words:
      description: CoCon's own words of a failure (secrets redacted); null when RV(results[].status) is V(ok).
      type: str
      sample: "There is no such command: api/csta/info"
    footer:
      description: "The footer C([exec at: ..., exec time: ..., nodes: ...]) read into C(exec_at), C(exec_time_ms), C(nodes); null without one."
      type: dict
      sample: {exec_at: "16.02.2021 15:20:33", exec_time_ms: 25, nodes: "ds1@ecss1 v.3.14.7.585"}
commands:
  description: Always empty; this module only reads.
  returned: always
  type: list
  elements: str
  sample: []
capabilities:
  description: What the console was seen to do, in the shape of M(ecss.callapi.cocon_facts)' RV(ecss.callapi.cocon_facts#module:cocon_capabilities).
  returned: always
  type: dict
  sample: {exec_channels_per_connection: many, csta_info_layout: null}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import cocon_argument_spec, run_cocon_module
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_read import read_commands


def main():
    module = AnsibleModule(
        argument_spec=cocon_argument_spec(
            commands=dict(type="list", elements="str", required=True),
        ),
        supports_check_mode=True,
    )
    run_cocon_module(module, read_commands)


if __name__ == "__main__":
    main()
