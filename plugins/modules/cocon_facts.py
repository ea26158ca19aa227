#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cocon_facts
short_description: Find out, with read commands only, what an ECSS-10 CoCon console does
version_added: 0.1.0
description:
  - Several behaviours the CoCon modules can use are not confirmed on every ECSS-10 release
    (several exec channels on one SSH connection, number ranges in C(alias/info) and C(alias/set),
    the layouts of C(/api/csta/info) and C(alias/info)). Each module finds them out by itself the
    first time it needs them; this module finds them out once, so that a playbook can hand the
    result to every module through O(cocon_capabilities) in C(module_defaults) (as
    C(playbooks/site.yml) does) and no module tests the console again.
  - Sends only read commands, C(/domain/list), C(/api/csta/info) and C(alias/info), and
    decides each capability by what the console did, with the same code the modules use.
  - "O(cocon_exec_mode=auto): its second command tests a second exec channel on the same connection; where
    that fails, its next command tests an interactive session (RV(cocon_capabilities.interactive_shell))."
  - C(alias/info) of the first alias in O(aliases) tells its layout; one range read over the first
    run of at least two consecutive aliases in O(aliases) (with the interface C(<number>@<domain>))
    tells whether number ranges work. Name aliases that exist.
  - "Without such aliases nothing is tested about them: RV(cocon_capabilities.alias_info_layout) is
    V(unknown), RV(cocon_capabilities.number_ranges) is V(false) with
    RV(cocon_capabilities.number_ranges_tested) V(false), and a module handed these capabilities
    tests ranges itself when it has a range to send."
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.cocon
  - ecss.callapi.attributes
  - ecss.callapi.attributes.info
  - ecss.callapi.attributes.cocon_group
options:
  domain:
    description:
      - Domain to read aliases in. Default, the first domain C(/domain/list) shows.
    type: str
  group:
    description: Interface group of the aliases that do not name their own (as in M(ecss.callapi.alias_property)).
    type: str
  aliases:
    description:
      - Aliases to test C(alias/info) and number ranges with, in the form of
        M(ecss.callapi.alias_property)'s O(ecss.callapi.alias_property#module:aliases).
      - Only read; at least two consecutive numbers are needed to test ranges.
    type: list
    elements: raw
    default: []
"""

EXAMPLES = r"""
- name: What does this console do?
  ecss.callapi.cocon_facts:
    domain: biysk.local
    group: loc.gr
    aliases: ["240473", "240474"]
  register: cocon

- name: Every CoCon module uses what was found, without testing again
  module_defaults:
    group/ecss.callapi.cocon:
      cocon_capabilities: "{{ cocon.cocon_capabilities }}"
  block:
    - name: Permission for the widget
      ecss.callapi.alias_property:
        domain: biysk.local
        group: loc.gr
        aliases: ["240473", "240474", "240475"]
"""

RETURN = r"""
cocon_capabilities:
  description: What the console does. Hand it to the other CoCon modules as O(cocon_capabilities).
  returned: always
  type: dict
  contains:
    number_ranges:
      description: Whether a range read showed every member alias on its own. V(false) when not tested.
      type: bool
    number_ranges_tested:
      description: Whether number ranges were tested (two consecutive aliases were given).
      type: bool
    alias_set_ranges:
      description: Whether C(alias/set) takes ranges. Never tested here (it would change something); null.
      type: bool
    exec_channels_per_connection:
      description:
        - V(many) when a second exec channel on one connection answered, V(one) when it was refused,
          closed without an answer or left unanswered.
        - Null when O(cocon_exec_mode) is not V(auto) (not tested).
      type: str
    interactive_shell:
      description:
        - Where exec channels are one per connection, V(true) when an interactive session showed a prompt and
          answered C(/domain/list) with its footer (each connection then sends its commands through one
          session), V(false) when it did not (one SSH connection per command).
        - Null when not tested (several exec channels work, or O(cocon_exec_mode) is not V(auto)).
      type: bool
    csta_info_layout:
      description: How C(/api/csta/info) answers, V(table), V(lines), V(absent) (no such command) or V(unknown).
      type: str
    alias_info_layout:
      description: How C(alias/info) answers, V(table), V(lines), V(absent) or V(unknown) (also when not tested).
      type: str
    nodes:
      description: The C(nodes) part of the answers' footer, as printed.
      type: str
    node:
      description: The first node named in the footer.
      type: str
    version:
      description: The release the footer names (C(3.14.7.585)); null for releases whose footer names none.
      type: str
    exec_time_ms_median:
      description: Median of the C(exec time) the footers reported, in milliseconds.
      type: int
  sample:
    number_ranges: true
    number_ranges_tested: true
    alias_set_ranges: null
    exec_channels_per_connection: many
    interactive_shell: null
    csta_info_layout: table
    alias_info_layout: table
    nodes: ds1@ecss1 v.3.14.7.585
    node: ds1@ecss1
    version: 3.14.7.585
    exec_time_ms_median: 25
domain:
  description: The domain aliases were read in (null when there is none).
  returned: always
  type: str
  sample: biysk.local
domains:
  description: The domains C(/domain/list) shows.
  returned: always
  type: list
  elements: str
  sample: [biysk.local, tomsk.local]
notes:
  description: What could not be tested, and why.
  returned: always
  type: list
  elements: str
  sample: ["no aliases given: alias/info and number ranges were not tested"]
commands:
  description: Always empty; this module only reads.
  returned: always
  type: list
  elements: str
  sample: []
capabilities:
  description: The same as RV(cocon_capabilities), as every CoCon module returns it.
  returned: always
  type: dict
  sample: {exec_channels_per_connection: many, number_ranges: true}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import cocon_argument_spec, run_cocon_module
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_probe import gather_capabilities


def main():
    module = AnsibleModule(
        argument_spec=cocon_argument_spec(
            domain=dict(type="str"),
            group=dict(type="str"),
            aliases=dict(type="list", elements="raw", default=[]),
        ),
        supports_check_mode=True,
    )
    # It is the test: what an earlier test found must not stand in for it.
    module.params["cocon_capabilities"] = None
    run_cocon_module(module, gather_capabilities)


if __name__ == "__main__":
    main()
