#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: alias_property
short_description: Ensure a property value on many ECSS-10 aliases (subscribers) in one task
version_added: 0.1.0
description:
  - By default grants C(api\call\enabled true), the permission the amoCRM widget needs to log in
    to the Call API for a subscriber's number.
  - Reads each alias's properties with C(alias/info), then sends C(alias/set) only for the aliases
    whose value differs. Every alias line CoCon prints after C(alias/set) is checked; a flagged
    line (alias does not exist, no free licence, ...) fails the task naming that alias, after the
    other aliases were applied.
  - Hundreds of aliases go in one task, over up to O(parallel_connections) SSH sessions. With limited
    licences (C(L) flags) the aliases that get one may differ between parallel runs.
  - "Number ranges (C(2404{70-79})) in C(alias/info) and C(alias/set) are not confirmed on real
    consoles. With O(use_ranges=true) the module reads one run of consecutive numbers (whose
    interface is C(<number>@<domain>)) with one range command, and uses ranges only when that
    answer shows every member alias on its own; any other answer (a failure, the pattern echoed as
    one alias, members missing, an empty answer, a timeout) means the rest is read one alias per
    command, with a warning. Ranges in C(alias/set) are sent only after ranges in reads were proven
    on that console; a member that the C(alias/set) report does not list on its own is set again by
    itself, never assumed done."
  - The layout of C(alias/info) is not confirmed either. A box table (one row per property) and
    blocks of C(Alias), C(Interface) and property lines are read. An answer in any other layout, or a
    console without C(alias/info), leaves the current value unknown; the module then sets it and
    reports C(changed), with a warning. An alias that C(alias/info) does not show is treated as
    missing; in a real run C(alias/set) has the last word on it.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.cocon
  - ecss.callapi.cocon.alias_batch
  - ecss.callapi.attributes
  - ecss.callapi.attributes.state
  - ecss.callapi.attributes.cocon_group
attributes:
  check_mode:
    details:
      - Only C(alias/info) (and C(/domain/list) for the exec channel test) is sent. RV(commands) holds
        the C(alias/set) commands a real run would try first, RV(changed_aliases) the aliases it would set.
  diff_mode:
    details:
      - Old and new value of each alias to change.
options:
  property:
    description: Alias property. The backslashes are part of the name and reach CoCon literally.
    type: str
    default: api\call\enabled
  value:
    description:
      - Value the property must have. A YAML boolean becomes C(true) or C(false) (as does the text
        C(True) or C(False)), a number its digits.
    type: raw
    default: "true"
"""

EXAMPLES = r"""
- name: Let the amoCRM widget log in for these subscribers
  ecss.callapi.alias_property:
    domain: biysk.local
    group: loc.gr
    aliases:
      - "240473"
      - "240474"
      - alias: "240480"
        group: office.gr
        iface: 240480@biysk.local
  register: permissions

- name: Revoke the permission
  ecss.callapi.alias_property:
    domain: biysk.local
    group: loc.gr
    aliases: ["240475"]
    value: false
"""

RETURN = r"""
changed_aliases:
  description: Aliases whose property was (in check mode, would be) set, as strings.
  returned: always
  type: list
  elements: str
  sample: ["240473", "240474"]
failed_aliases:
  description: Aliases CoCon flagged in its C(alias/set) report, with the flag and its meaning.
  returned: on failure
  type: list
  elements: dict
  sample: [{alias: "240499", flag: "*", meaning: "setup broken: alias does not exist"}]
commands:
  description: C(alias/set) commands sent (in check mode, that would be sent), also when the task failed.
  returned: always
  type: list
  elements: str
  sample: ["/domain/biysk.local/alias/set 24047{3-4} loc.gr 24047{3-4}@biysk.local api\\call\\enabled true"]
capabilities:
  description: What the module found out about the console (or was handed), as M(ecss.callapi.cocon_facts) returns it.
  returned: always
  type: dict
  sample: {number_ranges: true, number_ranges_tested: true, alias_set_ranges: true, alias_info_layout: table}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_alias import DEFAULT_PROPERTY, ensure_alias_property
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import alias_batch_argument_spec, run_cocon_module


def main():
    module = AnsibleModule(
        argument_spec=alias_batch_argument_spec(
            property=dict(type="str", default=DEFAULT_PROPERTY),
            value=dict(type="raw", default="true"),
        ),
        supports_check_mode=True,
    )
    run_cocon_module(module, ensure_alias_property)


if __name__ == "__main__":
    main()
