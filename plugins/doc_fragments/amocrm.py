# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Connection options of every ecss.callapi.amocrm_* module."""

    DOCUMENTATION = r'''
options:
  subdomain:
    description:
      - The amoCRM account name; the API lives at C(https://<subdomain>.amocrm.ru).
      - One of O(subdomain) or O(base_url) is required.
      - Falls back to the environment variable E(ECSS_AMOCRM_SUBDOMAIN).
    type: str
  base_url:
    description:
      - Full base URL of the account, for example C(https://example.amocrm.com) for accounts
        outside amocrm.ru, or a local test server. Takes precedence over O(subdomain).
      - Falls back to the environment variable E(ECSS_AMOCRM_BASE_URL).
    type: str
  token:
    description:
      - "amoCRM long-lived token (Settings, Integrations, your private integration, Keys and
        access), sent as C(Authorization: Bearer <token>). Keep it in Ansible Vault."
      - Never logged or returned.
      - Falls back to the environment variable E(ECSS_AMOCRM_TOKEN).
    type: str
    required: false
  validate_certs:
    description:
      - Verify the TLS certificate of amoCRM. Only switch off for a test server.
      - While it is on, a plain C(http://) O(base_url) is refused, so the token never crosses
        the network unencrypted by accident.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each HTTP request.
    type: int
    default: 30
  retries:
    description:
      - How many times a request answered with HTTP 429 (rate limit) or 502/503/504 is
        repeated, waiting as told by C(Retry-After) or with exponential backoff.
    type: int
    default: 5
  requests_per_second:
    description:
      - Upper bound on the request rate of one module run. amoCRM allows about 7 requests
        per second per account; the default leaves room for the widget and other tools.
      - C(0) disables throttling.
    type: float
    default: 5.0
notes:
  - Requests carry the token in a header only; redirects are not followed so the token is
    never sent to another host.
  - Uses only the Python standard library through C(ansible.module_utils.urls).
'''
