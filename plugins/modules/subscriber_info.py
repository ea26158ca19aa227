#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: subscriber_info
short_description: Read many ECSS-10 subscribers at once - does the alias exist, its properties, is a phone registered
version_added: 0.1.0
description:
  - For each alias (subscriber number) reads its properties with C(alias/info) (whether
    C(api\call\enabled) is true, for example) and whether a phone is registered for it with
    C(/domain/<domain>/sip/user/info <group> <interface>).
  - Reads only. Hundreds of subscribers go in one task over up to O(parallel_connections) SSH sessions,
    with C(alias/info) read as M(ecss.callapi.alias_property) reads it (number ranges used only once the
    console proved it reads them; see there). C(sip/user/info) is sent once per subscriber, never with a range.
  - "Registration: only the answer C(Contacts list is empty) (seen on real consoles) means no phone is registered
    (V(unregistered)), and only a table of contacts means V(registered) (its layout is not confirmed). Any other
    answer, including CoCon refusing the command, is V(unknown), with what CoCon said in
    RV(subscribers[].registration_error); it never counts as registered."
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.cocon
  - ecss.callapi.cocon.alias_batch
  - ecss.callapi.attributes
  - ecss.callapi.attributes.info
  - ecss.callapi.attributes.cocon_group
options:
  registration:
    description: Also read whether a phone is registered (one C(sip/user/info) per alias that exists).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Who can use the amoCRM widget in biysk.local?
  ecss.callapi.subscriber_info:
    domain: biysk.local
    group: loc.gr
    aliases: ["240473", "240474"]
  register: info

- name: Numbers whose phone is not registered
  ansible.builtin.debug:
    msg: "{{ info.subscribers | selectattr('registration', 'eq', 'unregistered') | map(attribute='alias') | list }}"
"""

RETURN = r"""
domain:
  description: The domain read.
  returned: always
  type: str
  sample: biysk.local
subscribers:
  description: One entry per alias, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    alias:
      description: The alias (number), as a string.
      type: str
    group:
      description: Its interface group.
      type: str
    iface:
      description: Its interface.
      type: str
    exists:
      description: True when C(alias/info) showed it, false when it did not (or CoCon said it does not exist), null when the answer could not be read.
      type: bool
    properties:
      description: Its properties and values as C(alias/info) showed them (C({}) when none is set); null unless RV(subscribers[].exists).
      type: dict
      sample: {"api\\call\\enabled": "true"}
    error:
      description: Why RV(subscribers[].exists) is not true, in CoCon's words where it gave some.
      type: str
    registration:
      description: V(registered), V(unregistered) or V(unknown); null when not read (O(registration=false), or the alias does not exist).
      type: str
    contacts:
      description: Registered contacts (C(uri), C(expires) as CoCon printed it).
      type: list
      elements: dict
    registration_error:
      description: Why RV(subscribers[].registration) is V(unknown).
      type: str
  sample:
    - {alias: "240473", group: loc.gr, iface: 240473@biysk.local, exists: true, error: null,
       properties: {"api\\call\\enabled": "true"}, registration: registered, registration_error: null,
       contacts: [{uri: "sip:240473@192.0.2.10:5060", expires: "600"}]}
commands:
  description: Always empty; this module only reads.
  returned: always
  type: list
  elements: str
  sample: []
capabilities:
  description: What the module found out about the console (or was handed), as M(ecss.callapi.cocon_facts) returns it.
  returned: always
  type: dict
  sample: {number_ranges: true, alias_info_layout: table}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import alias_batch_argument_spec, run_cocon_module
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_subscriber import subscriber_info


def main():
    module = AnsibleModule(
        argument_spec=alias_batch_argument_spec(registration=dict(type="bool", default=True)),
        supports_check_mode=True,
    )
    run_cocon_module(module, subscriber_info)


if __name__ == "__main__":
    main()
