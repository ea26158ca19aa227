#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: widget_settings_files
short_description: Write each domain's amoCRM widget settings files on the controller
version_added: 0.1.0
description:
  - For each domain of O(domains) that has a key in O(api_keys), writes what the operator types into the
    amoCRM widget (P(ecss.callapi.widget_settings#filter)) into O(dest) as C(<domain>.json)
    (C(to_nice_json(indent=2))) and C(<domain>.yml) (C(to_nice_yaml(indent=2))), both mode C(0600),
    O(dest) made C(0700). A file is rewritten only when its content or mode differs.
  - A domain without a key (a check run before its integration exists) gets no files; RV(without_key) names it.
  - An action plugin that runs on the controller, whatever the task's host; it never connects to the host.
    The role P(ecss.callapi.widget_setup#role) writes every domain's files with one such task.
  - The task holds the keys in its arguments - give it C(no_log) so that no callback option
    (C(display_args_to_stdout)) can print them. Its result holds no key.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.attributes
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written; C(changed) says whether a file or the directory would change.
  diff_mode:
    support: none
  action_group:
    support: none
    membership: []
options:
  domains:
    description:
      - Entries of C(ecss_domains) (each with C(name), C(client_id), optionally C(integration_type) and C(subscribers)).
    type: list
    elements: dict
    required: true
  api_keys:
    description:
      - The API key of each domain's integration, by domain name; a domain missing here, or with an empty key, gets no files.
    type: dict
    required: true
  call_api_host:
    description: The Call API's public host name or address (C(ecss_call_api_public_host)).
    type: str
    required: true
  call_api_port:
    description: The Call API's public port.
    type: int
    required: true
  dest:
    description: The settings directory on the controller (C(ecss_widget_settings_dir)).
    type: path
    required: true
seealso:
  - plugin: ecss.callapi.widget_settings
    plugin_type: filter
  - module: ecss.callapi.integration
"""

EXAMPLES = r"""
- name: Widget integration of each domain
  ecss.callapi.integration:
    domain: "{{ item.name }}"
    client_id: "{{ item.client_id }}"
  loop: "{{ ecss_domains }}"
  register: integrations

- name: Widget settings files per domain
  ecss.callapi.widget_settings_files:
    domains: "{{ ecss_domains }}"
    api_keys: "{{ dict(ecss_domains | map(attribute='name') | zip(integrations.results | map(attribute='api_key'))) }}"
    call_api_host: callapi.example.org
    call_api_port: 8088
    dest: /home/operator/ecss-widget-settings
  no_log: true
"""

RETURN = r"""
files:
  description: Every settings file of a domain with a key, written or already up to date.
  returned: success
  type: list
  elements: str
  sample: ["/home/operator/ecss-widget-settings/biysk.local.json", "/home/operator/ecss-widget-settings/biysk.local.yml"]
written:
  description: The files that were (in check mode, would be) written because their content or mode differed.
  returned: success
  type: list
  elements: str
without_key:
  description: Domains that got no files because O(api_keys) holds no key for them.
  returned: success
  type: list
  elements: str
"""
