#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: amocrm_account_info
short_description: Verify an amoCRM long-lived token and read the account it belongs to
version_added: 0.1.0
description:
  - Calls C(GET /api/v4/account) with the token and returns the account's id, name and
    subdomain. Fails with amoCRM's own words when the token is wrong or expired.
  - Use it before anything else that talks to amoCRM, so a bad token fails the run early.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.amocrm
options:
  expected_subdomain:
    description:
      - Fail when the token belongs to an account with another subdomain (a token pasted
        from the wrong account).
      - Defaults to O(subdomain) when that is set.
    type: str
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same way in check mode.
notes:
  - Part of the C(ecss.callapi.amocrm) action group for C(module_defaults).
'''

EXAMPLES = r'''
- name: Check the amoCRM token before configuring call history
  ecss.callapi.amocrm_account_info:
    subdomain: mycompany
    token: "{{ ecss_amocrm_token }}"
  register: amocrm

- name: Show which account the token opens
  ansible.builtin.debug:
    msg: "amoCRM account {{ amocrm.account.name }} (id {{ amocrm.account.id }})"
'''

RETURN = r'''
account:
  description: The account the token belongs to.
  returned: success
  type: dict
  contains:
    id:
      description: Account id.
      type: int
      sample: 29535058
    name:
      description: Account name.
      type: str
      sample: My company
    subdomain:
      description: Account subdomain.
      type: str
      sample: mycompany
    current_user_id:
      description: Id of the user the token belongs to.
      type: int
      sample: 5001
base_url:
  description: The API base URL that was used.
  returned: success
  type: str
  sample: https://mycompany.amocrm.ru
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ecss.callapi.plugins.module_utils.amocrm import (
    AmoCRMError, amocrm_argument_spec, check_account, client_from_params)


def main():
    argument_spec = amocrm_argument_spec()
    argument_spec.update(expected_subdomain=dict(type='str'))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        client = client_from_params(module.params)
        result = check_account(client, module.params.get('expected_subdomain') or module.params.get('subdomain'))
    except AmoCRMError as e:
        module.fail_json(msg=str(e), status=e.status)
    module.exit_json(changed=False, base_url=client.base_url, **result)


if __name__ == '__main__':
    main()
