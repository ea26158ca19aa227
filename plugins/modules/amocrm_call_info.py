#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: amocrm_call_info
short_description: List the calls amoCRM holds for a phone number
version_added: 0.1.0
description:
  - Finds the contacts with the phone and returns their call notes (C(call_in) and
    C(call_out)), optionally only the one with a given O(uniq). Used to check that a call
    posted by M(ecss.callapi.amocrm_call) or by the IVR really appears in the history.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.amocrm
options:
  phone:
    description: Phone number whose contacts are read.
    type: str
    required: true
  direction:
    description: Only calls of this direction (default both).
    type: str
    choices: [inbound, outbound]
  uniq:
    description: Only the call with this unique id.
    type: str
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same way in check mode.
notes:
  - Part of the C(ecss.callapi.amocrm) action group for C(module_defaults).
'''

EXAMPLES = r'''
- name: Check that the smoke-test call is in the history
  ecss.callapi.amocrm_call_info:
    subdomain: mycompany
    token: "{{ ecss_amocrm_token }}"
    phone: "79130000001"
    uniq: ecss10-smoke-biysk.local
  register: history
  failed_when: history.calls | length != 1
'''

RETURN = r'''
calls:
  description: Call notes found, oldest page first.
  returned: success
  type: list
  elements: dict
  sample: [{"note_id": 42, "contact_id": 1234567, "note_type": "call_in", "uniq": "ecss10-smoke-biysk.local",
            "phone": "79130000001", "duration": 5, "source": "ecss10", "link": null, "call_status": 4,
            "created_at": 1700000000}]
contacts:
  description: Contacts that have the phone.
  returned: success
  type: list
  elements: dict
  sample: [{"id": 1234567, "name": "Ivan Petrov", "phones": ["+7 913 000-00-01"]}]
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ecss.callapi.plugins.module_utils.amocrm import (
    AmoCRMError, amocrm_argument_spec, call_info, client_from_params)


def main():
    argument_spec = amocrm_argument_spec()
    argument_spec.update(
        phone=dict(type='str', required=True),
        direction=dict(type='str', choices=['inbound', 'outbound']),
        uniq=dict(type='str'),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        client = client_from_params(module.params)
        result = call_info(client, module.params['phone'], module.params['direction'], module.params['uniq'])
    except AmoCRMError as e:
        module.fail_json(msg=str(e), status=e.status)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
