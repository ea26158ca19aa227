#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: csta
short_description: Ensure CSTA is enabled (and its parameters set) on ECSS-10
version_added: 0.1.0
description:
  - Without CSTA the amoCRM widget does not show calls that were not started from amoCRM.
  - Reads the CSTA parameters with C(/api/csta/info), compares the parsed values with the wanted
    ones and sends C(/api/csta/set <field> <value>) only for those that differ.
  - C(/api/csta/info) and its layout are not confirmed for every release. A box table and lines
    of a name, a colon and a value are read. When the console does not know that command, or answers in
    another layout, the module cannot see the state; it sends the C(set) commands unconditionally,
    reports C(changed) and warns. It never reports "unchanged" for a value it did not see.
  - When a C(set) fails after others were applied, the task fails with C(changed=true) and
    RV(commands) lists what was sent.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.cocon
  - ecss.callapi.attributes
  - ecss.callapi.attributes.state
  - ecss.callapi.attributes.cocon_group
attributes:
  diff_mode:
    details:
      - Shows the parameters that change.
options:
  enabled:
    description:
      - Whether CSTA is enabled.
    type: bool
    default: true
  parameters:
    description:
      - Other CSTA parameters to ensure, by their CoCon names, for example C(tcp_port), C(ssl_port),
        C(use_ssl), C(use_tcp), C(tcp_ip), C(ssl_ip).
      - Booleans become C(true)/C(false), lists C([a,b]). C(tcp_ip) and C(ssl_ip) take a plain IPv4 or
        IPv6 address (no scope id such as C(%eth0)).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Enable CSTA (the widget shows calls started outside amoCRM too)
  ecss.callapi.csta:
    enabled: true

- name: Enable CSTA over TLS only
  ecss.callapi.csta:
    enabled: true
    parameters:
      use_ssl: true
      use_tcp: false
      ssl_port: 4722
"""

RETURN = r"""
before:
  description: CSTA parameters read before the change (empty when C(/api/csta/info) is not available).
  returned: always
  type: dict
  sample: {enabled: "false", tcp_port: "4721", use_ssl: "true"}
after:
  description: CSTA parameters after the change (in check mode, as they would be).
  returned: always
  type: dict
  sample: {enabled: "true", tcp_port: "4721", use_ssl: "true"}
commands:
  description: The C(set) commands sent (in check mode, that would be sent), also when the task failed.
  returned: always
  type: list
  elements: str
  sample: ["/api/csta/set enabled true"]
capabilities:
  description: What the module found out about the console, as M(ecss.callapi.cocon_facts) returns it.
  returned: always
  type: dict
  sample: {csta_info_layout: table, exec_channels_per_connection: many, number_ranges: false}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_csta import ensure_csta
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import cocon_argument_spec, run_cocon_module


def main():
    module = AnsibleModule(
        argument_spec=cocon_argument_spec(
            enabled=dict(type="bool", default=True),
            parameters=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    run_cocon_module(module, ensure_csta)


if __name__ == "__main__":
    main()
