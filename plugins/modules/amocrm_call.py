#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: amocrm_call
short_description: Add a call to amoCRM's call history (API v4), once per unique id
version_added: 0.1.0
description:
  - Posts one call with C(POST /api/v4/calls). amoCRM files it as a call note on the
    contact that has the phone number, so the contact must exist (see
    M(ecss.callapi.amocrm_contact)); otherwise the task fails saying so.
  - With O(uniq) the module is idempotent - it first reads the contact's call notes of the
    same direction (C(GET /api/v4/contacts/<id>/notes?filter[note_type]=call_in|call_out))
    and posts only when no note has C(params.uniq) equal to O(uniq). Without O(uniq) every
    run adds a new call and reports a change.
  - amoCRM's C(validation-errors) and per-call C(errors) become a readable failure message.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.amocrm
options:
  phone:
    description:
      - The other party's phone number. amoCRM rejects numbers shorter than it allows (5
        characters when this was written); its message is passed on.
    type: str
    required: true
  direction:
    description: Call direction as amoCRM names it.
    type: str
    choices: [inbound, outbound]
    default: inbound
  uniq:
    description:
      - Unique id of the call in the telephony system; makes the module idempotent.
    type: str
  duration:
    description: Call duration in seconds.
    type: int
    default: 0
  source:
    description: Name of the telephony source shown in amoCRM.
    type: str
    default: ecss10
  link:
    description: URL of the call recording (the IVR's C(%RECORD_URL%)).
    type: str
  call_status:
    description:
      - Outcome of the call. Names map to amoCRM's numbers - C(voicemail)=1,
        C(call_later)=2, C(unavailable)=3, C(success)=4, C(wrong_number)=5,
        C(no_answer)=6, C(busy)=7; the numbers are accepted too.
    type: str
    choices: [voicemail, call_later, unavailable, success, wrong_number, no_answer, busy, '1', '2', '3', '4', '5', '6', '7']
  call_result:
    description: Free-text result shown with the call.
    type: str
  responsible_user_id:
    description: amoCRM user the call is attributed to.
    type: int
  created_by:
    description: amoCRM user id recorded as author (C(0) is the robot).
    type: int
  created_at:
    description: Unix time of the call (default - now, as amoCRM decides).
    type: int
attributes:
  check_mode:
    support: full
    description: Looks the contact and the call up and reports whether a call would be posted.
  diff_mode:
    support: full
    description: Shows the call that would be added; contains no secret.
notes:
  - Part of the C(ecss.callapi.amocrm) action group for C(module_defaults).
  - Assumes, as amoCRM documents, that a posted call appears as a C(call_in)/C(call_out)
    note whose C(params.uniq) is the call's O(uniq).
'''

EXAMPLES = r'''
- name: Post a test call for a known contact (once)
  ecss.callapi.amocrm_call:
    subdomain: mycompany
    token: "{{ ecss_amocrm_token }}"
    phone: "79130000001"
    direction: inbound
    uniq: ecss10-smoke-biysk.local
    duration: 5
    call_status: success
    call_result: ECSS-10 smoke test
    link: https://ecss.example.net/records/smoke.mp3
'''

RETURN = r'''
call:
  description:
    - The call. When it already existed, the summary of its note (C(note_id), C(uniq) ...);
      when it was posted, the fields sent plus C(id) and C(contact_id) from amoCRM.
  returned: success
  type: dict
  sample: {"id": 9876, "contact_id": 1234567, "direction": "inbound", "phone": "79130000001",
           "uniq": "ecss10-smoke-biysk.local", "duration": 5, "source": "ecss10", "call_status": 4}
contact:
  description: The contact the call is filed under.
  returned: success
  type: dict
  sample: {"id": 1234567, "name": "Ivan Petrov", "phones": ["+7 913 000-00-01"]}
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ecss.callapi.plugins.module_utils.amocrm import (
    CALL_STATUSES, AmoCRMError, amocrm_argument_spec, client_from_params, failure, ensure_call)


def main():
    argument_spec = amocrm_argument_spec()
    argument_spec.update(
        phone=dict(type='str', required=True),
        direction=dict(type='str', default='inbound', choices=['inbound', 'outbound']),
        uniq=dict(type='str'),
        duration=dict(type='int', default=0),
        source=dict(type='str', default='ecss10'),
        link=dict(type='str'),
        call_status=dict(type='str', choices=sorted(CALL_STATUSES) + [str(n) for n in range(1, 8)]),
        call_result=dict(type='str'),
        responsible_user_id=dict(type='int'),
        created_by=dict(type='int'),
        created_at=dict(type='int'),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    client = None
    try:
        client = client_from_params(module.params)
        result = ensure_call(client, module.params, module.check_mode)
    except AmoCRMError as e:
        module.fail_json(**failure(e, client))
    if not module._diff:
        result.pop('diff', None)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
