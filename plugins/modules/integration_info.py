#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: integration_info
short_description: List a domain's Call API integrations on ECSS-10
version_added: 0.1.0
description:
  - Reads C(/domain/<domain>/integrations/list) and returns one entry per integration.
  - Keys are left out unless O(reveal_keys=true); a fingerprint is always returned so keys can be compared.
  - With O(reveal_keys=true) the task's result is hidden from output (the registered variable keeps it).
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.cocon
  - ecss.callapi.attributes
  - ecss.callapi.attributes.info
  - ecss.callapi.attributes.cocon_group
options:
  domain:
    description: ECSS-10 domain (virtual PBX) name.
    type: str
    required: true
  reveal_keys:
    description: Include each integration's API key in RV(integrations[].api_key).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Which client ids does biysk.local have?
  ecss.callapi.integration_info:
    domain: biysk.local
  register: info

- name: Show them
  ansible.builtin.debug:
    msg: "{{ info.integrations | map(attribute='client_id') | list }}"
"""

RETURN = r"""
integrations:
  description: The domain's integrations, sorted as CoCon lists them.
  returned: always
  type: list
  elements: dict
  contains:
    client_id:
      description: Client id.
      type: str
    api_key:
      description: The API key; only with O(reveal_keys=true).
      type: str
      returned: when O(reveal_keys=true)
    api_key_fingerprint:
      description: C(sha256:) and 16 hex digits of the key's SHA-256.
      type: str
    type:
      description: Integration type, when the console lists it (3.14+).
      type: str
      returned: when CoCon shows it
    numbers:
      description: Numbers of a service integration, when the console lists them.
      type: str
      returned: when CoCon shows them
  sample:
    - client_id: amocrm
      api_key_fingerprint: sha256:6f1c2a9b0e4d7a31
commands:
  description: Always empty; this module only reads.
  returned: always
  type: list
  elements: str
  sample: []
capabilities:
  description: What the module found out about the console, as M(ecss.callapi.cocon_facts) returns it.
  returned: always
  type: dict
  sample: {exec_channels_per_connection: null, number_ranges: false}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_integration import integration_info
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import cocon_argument_spec, run_cocon_module


def main():
    module = AnsibleModule(
        argument_spec=cocon_argument_spec(
            domain=dict(type="str", required=True),
            reveal_keys=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    run_cocon_module(module, integration_info)


if __name__ == "__main__":
    main()
