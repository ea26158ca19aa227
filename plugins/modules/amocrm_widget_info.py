#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: amocrm_widget_info
short_description: Read an amoCRM widget - its settings template, whether it is installed, its settings
version_added: 0.2.0
description:
  - With O(code), reads one widget (C(GET /api/v4/widgets/<code>)) - its C(settings_template)
    (key, name, type, required), whether it is installed in the account, and the settings
    amoCRM returns, every C(pass) value (and every key in O(secret_keys)) as a fingerprint
    only - plus the token's user and whether it is an account administrator.
  - With O(name), searches the account's widget list (C(GET /api/v4/widgets), every page)
    for widgets whose code or name contains O(name), to find a widget's code.
  - Read-only. The result feeds the filter C(ecss.callapi.amocrm_widget_settings_match),
    which tells whether the widget holds the settings a playbook wants.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.amocrm
options:
  code:
    description: The widget's code.
    type: str
  name:
    description:
      - Part of a widget's code or name, compared without regard to case. amoCRM's widget
        list documents no display name, so mostly the code is searched.
    type: str
  secret_keys:
    description: Template keys shown as fingerprints even though the template types them C(text).
    type: list
    elements: str
    default: []
  state_file:
    description:
      - The record M(ecss.callapi.amocrm_widget) keeps; its fingerprints are returned as
        RV(recorded) so values amoCRM does not show can still be compared.
    type: path
  users:
    description:
      - amoCRM users (names, e-mails or ids) to resolve to ids (C(GET /api/v4/users), every
        page); returned as RV(user_ids). An unknown or ambiguous user fails the task naming
        the candidates.
    type: list
    elements: str
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same way in check mode.
notes:
  - Part of the C(ecss.callapi.amocrm) action group for C(module_defaults).
  - amoCRM documents a widget's C(settings) as returned only to the widget's own
    integration; RV(widget.settings_returned) says whether it returned any.
seealso:
  - module: ecss.callapi.amocrm_widget
'''

EXAMPLES = r'''
- name: Find the ECSS-10 widget's code
  ecss.callapi.amocrm_widget_info:
    subdomain: mycompany
    token: "{{ vault_amocrm_token }}"
    name: ecss
  register: found

- name: Read the widget, its template and what was last sent
  ecss.callapi.amocrm_widget_info:
    subdomain: mycompany
    token: "{{ vault_amocrm_token }}"
    code: ecss10_widget
    secret_keys: [apikey]
    state_file: /srv/ecss/widget-settings/biysk.local.amocrm_widget.json
    users: [Ivan Petrov]
  register: widget

- name: Does the widget hold the wanted settings?
  ansible.builtin.assert:
    that: (wanted | ecss.callapi.amocrm_widget_settings_match(widget)).match
  vars:
    wanted: {clientid: amocrm, apikey: "{{ api_key }}", phones: {Ivan Petrov: "240473"}}
'''

RETURN = r'''
widgets:
  description: With O(name), the widgets found.
  returned: when O(name) is given
  type: list
  elements: dict
  sample: [{"id": 7, "code": "ecss10_widget", "name": null, "version": "1.0.2", "installed": true}]
found:
  description: With O(code), whether the account knows a widget with that code.
  returned: when O(code) is given
  type: bool
  sample: true
widget:
  description: With O(code), the widget (null when not found).
  returned: when O(code) is given
  type: dict
  contains:
    code:
      description: Widget code.
      type: str
      sample: ecss10_widget
    installed:
      description: Whether the widget is installed in the account (C(is_active_in_account)).
      type: bool
      sample: true
    template:
      description: The settings template, in amoCRM's order.
      type: list
      elements: dict
      sample: [{"key": "apikey", "name": "API key", "type": "pass", "is_required": true}]
    settings:
      description:
        - The settings amoCRM returned, C(text) values as strings, secrets as fingerprints;
          null when it returned none.
      type: dict
      sample: {"clientid": "amocrm", "phones": {"5001": "240473"}}
    settings_returned:
      description: Whether amoCRM returned the widget's settings.
      type: bool
      sample: true
    secret_keys:
      description: Keys whose values are shown as fingerprints.
      type: list
      elements: str
      sample: [apikey]
current_user:
  description: With O(code), the token's user - C(id), C(name) and C(is_admin) (null when amoCRM does not say).
  returned: when O(code) is given and the widget exists
  type: dict
  sample: {"id": 5001, "name": "Admin", "is_admin": true}
recorded:
  description: Fingerprints from O(state_file) (null when it holds no record for this widget and account).
  returned: when O(state_file) is given and the widget exists
  type: dict
  sample: {"apikey": "sha256:5f0c2a9e41d7b3c8"}
user_ids:
  description: The users of O(users) and their amoCRM ids.
  returned: when O(users) is given and the widget exists
  type: dict
  sample: {"Ivan Petrov": 5001}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ecss.callapi.plugins.module_utils.amocrm import (
    AmoCRMError, amocrm_argument_spec, client_from_params, widget_info)


def main():
    argument_spec = amocrm_argument_spec()
    argument_spec.update(
        code=dict(type='str'),
        name=dict(type='str'),
        secret_keys=dict(type='list', elements='str', default=[], no_log=False),
        state_file=dict(type='path'),
        users=dict(type='list', elements='str'),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True,
                           required_one_of=[('code', 'name')], mutually_exclusive=[('code', 'name')])
    params = module.params
    try:
        client = client_from_params(params)
        result = widget_info(client, code=params['code'], name=params['name'], secret_keys=params['secret_keys'],
                             state_file=params['state_file'], users=params['users'])
    except AmoCRMError as e:
        module.fail_json(msg=str(e), status=e.status)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
