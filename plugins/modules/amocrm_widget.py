#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: amocrm_widget
short_description: Install, configure or switch off a widget in an amoCRM account (API v4)
version_added: 0.2.0
description:
  - Reads the widget with C(GET /api/v4/widgets/<code>) and checks O(settings) against its
    C(settings_template) before anything is sent - every given key must be a template key,
    every required field must be given, C(text)/C(pass) values must be strings (numbers are
    sent as strings), C(users) values mappings of amoCRM user to phone. Every problem is
    listed in one failure message.
  - Checks, with read-only requests, that the token's user is an account administrator
    (C(GET /api/v4/account) for the current user, C(GET /api/v4/users/<id>) for its rights),
    because only administrators may install, change or switch off widgets.
  - Keys of C(users) and C(users_lp) fields may be amoCRM user ids, names or e-mails; names
    and e-mails are resolved through C(GET /api/v4/users) (every page). An unknown or
    ambiguous user fails the task naming the candidates, before anything is sent.
  - O(state=present) sends one C(POST /api/v4/widgets/<code>) with the settings when the
    widget is not installed or a value differs, and nothing otherwise. amoCRM does not
    return C(pass) values (and may return no settings at all to other integrations), so
    values it does not show are compared with the fingerprints recorded in O(state_file)
    when the settings were last sent.
  - O(state=absent) switches the widget off with C(DELETE /api/v4/widgets/<code>) when it
    is installed, and removes O(state_file).
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.amocrm
options:
  code:
    description:
      - The widget's code as amoCRM knows it (M(ecss.callapi.amocrm_widget_info) with
        O(ecss.callapi.amocrm_widget_info#module:name) finds it).
    type: str
    required: true
  state:
    description: Whether the widget is installed with these settings, or switched off.
    type: str
    choices: [present, absent]
    default: present
  settings:
    description:
      - Template key -> value. C(text) and C(pass) values are sent as strings; a C(users)
        value is a mapping of amoCRM user (id, name or e-mail) to phone number; a C(users_lp)
        value a mapping of user to C({login, password}).
      - Values of C(pass) and C(users_lp) fields and of the keys in O(secret_keys) never
        appear in the result, the diff or the logged invocation; only their fingerprints do.
      - Keys left out are not sent. A key set to C(null) counts as left out.
    type: dict
    default: {}
  secret_keys:
    description:
      - Template keys whose values are secrets even though the template types them C(text),
        for example the key that holds an API key.
    type: list
    elements: str
    default: []
  state_file:
    description:
      - Controller file where the module records the fingerprints (SHA-256 prefixes, no
        secret) of the settings it last sent, written mode 0600 right after the POST.
      - Without it, a value amoCRM does not show (every C(pass) value) cannot be compared,
        so every run sends the settings again.
    type: path
attributes:
  check_mode:
    support: full
    description: Sends only GET requests and reports whether a POST or DELETE would be sent.
  diff_mode:
    support: full
    description: Shows whether the widget is installed and its settings, secrets as fingerprints.
notes:
  - Part of the C(ecss.callapi.amocrm) action group for C(module_defaults).
  - Installing, changing and switching off widgets is for account administrators only;
    with any other token the task fails before anything is sent, naming the missing right.
  - A value changed by hand in amoCRM's interface is seen only where amoCRM returns it;
    a changed C(pass) value is not (the record still matches), and is overwritten only
    when the wanted value changes.
seealso:
  - module: ecss.callapi.amocrm_widget_info
'''

EXAMPLES = r'''
- name: Install the ECSS-10 widget with this domain's integration
  ecss.callapi.amocrm_widget:
    subdomain: mycompany
    token: "{{ vault_amocrm_token }}"
    code: ecss10_widget
    settings:
      clientid: amocrm
      apikey: "{{ integration.api_key }}"
      host: ecss.example.com
      port: "8088"
      domain: biysk.local
      phones:
        Ivan Petrov: "240473"
        maria@example.com: "240474"
    secret_keys: [apikey]
    state_file: /srv/ecss/widget-settings/biysk.local.amocrm_widget.json

- name: Switch the widget off
  ecss.callapi.amocrm_widget:
    subdomain: mycompany
    token: "{{ vault_amocrm_token }}"
    code: ecss10_widget
    state: absent
'''

RETURN = r'''
code:
  description: The widget code.
  returned: always
  type: str
  sample: ecss10_widget
installed:
  description: Whether the widget is installed after the run (would be, in check mode).
  returned: success
  type: bool
  sample: true
requests:
  description: The changing requests sent (in check mode, that would have been sent).
  returned: always
  type: list
  elements: str
  sample: ["POST /api/v4/widgets/ecss10_widget"]
differences:
  description: Template keys whose value was (would be) changed; all keys when the widget was not installed.
  returned: success
  type: list
  elements: str
  sample: [apikey]
verified:
  description: Keys found equal, each with where - C(amocrm) (the API showed it) or C(record) (O(state_file)).
  returned: success
  type: dict
  sample: {"clientid": "record", "apikey": "record"}
settings:
  description: The settings as sent, secrets replaced by their fingerprints.
  returned: success
  type: dict
  sample: {"clientid": "amocrm", "apikey": "sha256:5f0c2a9e41d7b3c8", "phones": {"5001": "240473"}}
secret_keys:
  description: Template keys treated as secrets (C(pass) and C(users_lp) fields, and O(secret_keys)).
  returned: success
  type: list
  elements: str
  sample: [apikey]
users:
  description: amoCRM user ids of the users named in users-type fields.
  returned: success
  type: dict
  sample: {"Ivan Petrov": 5001}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ecss.callapi.plugins.module_utils.amocrm import (
    AmoCRMError, amocrm_argument_spec, client_from_params, ensure_widget, failure, widget_secret_strings)


def main():
    argument_spec = amocrm_argument_spec()
    argument_spec.update(
        code=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        settings=dict(type='dict', default={}),
        secret_keys=dict(type='list', elements='str', default=[], no_log=False),
        state_file=dict(type='path'),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    client = None
    try:
        client = client_from_params(module.params)
        result = ensure_widget(client, module.params, module.check_mode)
    except AmoCRMError as e:
        # Before the template was read every settings value counts as a secret.
        module.no_log_values.update(widget_secret_strings(module.params['settings'], e.secret_keys))
        module.fail_json(code=module.params['code'], **failure(e, client))
    module.no_log_values.update(widget_secret_strings(module.params['settings'], result.get('secret_keys')))
    if not module._diff:
        result.pop('diff', None)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
