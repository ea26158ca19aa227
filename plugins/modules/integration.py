#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: integration
short_description: Ensure a domain's Call API integration (client id and API key) on ECSS-10
version_added: 0.1.0
description:
  - An integration is the pair of client id and API key the amoCRM widget (or another Call API
    client) authenticates with. Each domain (virtual PBX) holds one integration per client id.
  - Reads C(/domain/<domain>/integrations/list) first. An existing integration's key is read back
    from that table, never regenerated; a missing one is added with C(integrations/add), which
    makes CoCon generate the key.
  - O(rotate=true) replaces the key with C(integrations/replace).
  - The key is returned in RV(api_key). Because a forgotten C(no_log) would otherwise print it, the
    task's whole result is hidden from output by the module's action plugin; the registered
    variable still carries it. Diffs and logs show only a fingerprint of the key.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.cocon
  - ecss.callapi.attributes
  - ecss.callapi.attributes.state
  - ecss.callapi.attributes.cocon_group
attributes:
  check_mode:
    details:
      - A new integration's key cannot be known in check mode, so RV(api_key) is null.
  diff_mode:
    details:
      - Shows presence, type and the key's fingerprint before and after, never the key.
options:
  domain:
    description: ECSS-10 domain (virtual PBX) name, for example C(biysk.local).
    type: str
    required: true
  client_id:
    description: Client id of the integration, for example C(amocrm).
    type: str
    required: true
  state:
    description: Whether the integration should exist.
    type: str
    choices: [present, absent]
    default: present
  type:
    description:
      - Integration type, for consoles of release 3.14 and later.
      - Unset sends the plain C(add <client id>) of earlier releases (as in the ECSS-10 amoCRM guide).
      - V(widget) lets each operator connect on their own (their number is given at login).
      - V(service) is one connection for all users, limited to O(numbers).
      - When C(integrations/list) shows the type of an existing integration and it differs, the
        task fails rather than remove and re-add it (that would issue a new key).
    type: str
    choices: [widget, service]
  numbers:
    description:
      - Numbers a V(service) integration may use, in ECSS range syntax (C(24010{0-1}) is 240100 and 240101).
    type: str
  rotate:
    description:
      - Replace the key of an existing integration with a new one.
      - Every run with O(rotate=true) issues a new key, so it always reports C(changed).
    type: bool
    default: false
  force:
    description:
      - With O(state=absent), a client id that the domain does not hold while it holds other
        integrations is taken for a typo and the task fails, naming the client ids that exist.
      - V(true) accepts it instead (for example when the integration is known to be removed
        already); the task then warns, names the existing client ids and changes nothing.
      - Without other integrations in the domain an absent client id is simply already removed.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Integration for the amoCRM widget
  ecss.callapi.integration:
    domain: biysk.local
    client_id: amocrm
  register: amocrm_integration

- name: Hand the key to the next task without showing it
  ansible.builtin.copy:
    content: "{{ amocrm_integration.api_key }}"
    dest: /root/amocrm.key
    mode: "0600"
  no_log: true

- name: Widget-type integration on a 3.14+ console
  ecss.callapi.integration:
    domain: biysk.local
    client_id: amocrm
    type: widget

- name: Issue a new key
  ecss.callapi.integration:
    domain: biysk.local
    client_id: amocrm
    rotate: true

- name: Remove an integration
  ecss.callapi.integration:
    domain: biysk.local
    client_id: tester
    state: absent

- name: Remove it even if the domain holds other integrations and this one is gone already
  ecss.callapi.integration:
    domain: biysk.local
    client_id: tester
    state: absent
    force: true
"""

RETURN = r"""
api_key:
  description:
    - The integration's key after the run; null when absent, and in check mode when it would be created or rotated.
    - Hidden from task output; read it from the registered variable.
  returned: always
  type: str
  sample: 2hBqT4acTLhcvFq29qW429TF26cfv9Wqkzn4Ga4chYC2hyhT2WkdknnWC94dFTKC
api_key_fingerprint:
  description: C(sha256:) and 16 hex digits of the key's SHA-256, to compare keys without showing them.
  returned: always
  type: str
  sample: sha256:6f1c2a9b0e4d7a31
client_id:
  description: The client id.
  returned: always
  type: str
  sample: amocrm
domain:
  description: The domain.
  returned: always
  type: str
  sample: biysk.local
commands:
  description: Mutating commands sent (in check mode, that would be sent).
  returned: always
  type: list
  elements: str
  sample: ["/domain/biysk.local/integrations/add amocrm"]
capabilities:
  description: What the module found out about the console, as M(ecss.callapi.cocon_facts) returns it.
  returned: always
  type: dict
  sample: {exec_channels_per_connection: many, number_ranges: false}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_integration import ensure_integration
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import cocon_argument_spec, run_cocon_module


def main():
    module = AnsibleModule(
        argument_spec=cocon_argument_spec(
            domain=dict(type="str", required=True),
            client_id=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            type=dict(type="str", choices=["widget", "service"]),
            numbers=dict(type="str"),
            rotate=dict(type="bool", default=False),
            force=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    run_cocon_module(module, ensure_integration)


if __name__ == "__main__":
    main()
