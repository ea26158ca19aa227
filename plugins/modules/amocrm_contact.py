#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: amocrm_contact
short_description: Ensure an amoCRM contact exists for a phone number
version_added: 0.1.0
description:
  - amoCRM files a call only under an existing contact found by its phone number. This
    module looks the number up (C(GET /api/v4/contacts?query=)) and creates a contact with
    that phone (C(POST /api/v4/contacts)) when none has it.
  - Phones are compared by their digits, so C(+7 (913) 123-45-67) and C(79131234567) match.
  - An existing contact is never changed or deleted (the amoCRM API cannot delete contacts).
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.amocrm
options:
  phone:
    description: The phone number the contact must have.
    type: str
    required: true
  name:
    description: Name given to the contact when it has to be created.
    type: str
    default: ECSS-10 test contact
attributes:
  check_mode:
    support: full
    description: Looks the number up and reports whether a contact would be created.
  diff_mode:
    support: full
    description: Shows whether a contact with the phone was present before and after.
notes:
  - Part of the C(ecss.callapi.amocrm) action group for C(module_defaults).
  - When several contacts share the number, the one with the lowest id is returned and
    the others are listed in RV(duplicates).
'''

EXAMPLES = r'''
- name: Make sure the smoke-test number has a contact
  ecss.callapi.amocrm_contact:
    subdomain: mycompany
    token: "{{ ecss_amocrm_token }}"
    phone: "+7 913 000-00-01"
    name: ECSS-10 smoke test
'''

RETURN = r'''
contact:
  description: The contact with the phone (C(id) is null in check mode when it would be created).
  returned: success
  type: dict
  contains:
    id:
      description: Contact id.
      type: int
      sample: 1234567
    name:
      description: Contact name.
      type: str
      sample: ECSS-10 test contact
    phones:
      description: The contact's phone values as stored.
      type: list
      elements: str
      sample: ["+7 913 000-00-01"]
duplicates:
  description: Ids of further contacts with the same phone.
  returned: success
  type: list
  elements: int
  sample: []
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ecss.callapi.plugins.module_utils.amocrm import (
    AmoCRMError, amocrm_argument_spec, client_from_params, failure, ensure_contact)


def main():
    argument_spec = amocrm_argument_spec()
    argument_spec.update(
        phone=dict(type='str', required=True),
        name=dict(type='str', default='ECSS-10 test contact'),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    client = None
    try:
        client = client_from_params(module.params)
        result = ensure_contact(client, module.params['phone'], module.params['name'], module.check_mode)
    except AmoCRMError as e:
        module.fail_json(**failure(e, client))
    if not module._diff:
        result.pop('diff', None)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
