#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: readiness_report
short_description: Write readiness.json and readiness.html on the controller from the readiness checks
version_added: 0.1.0
description:
  - Puts the checks together into the report of P(ecss.callapi.readiness_report#filter), writes it
    into the directory O(dest) as C(readiness.json) (C(to_nice_json(indent=2))) and C(readiness.html)
    (P(ecss.callapi.readiness_html#filter)), both mode C(0600), O(dest) made C(0700), and returns only
    what later tasks need (RV(ready), RV(counts), RV(sections)), never the checks themselves.
  - An action plugin that runs on the controller, whatever the task's host; it never connects to the host.
  - C(playbooks/check.yml) uses it so that the report of thousands of checks is built and serialised
    once instead of being templated again by every task that refers to it.
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
  checks:
    description:
      - Every check, from P(ecss.callapi.readiness_node_checks#filter) and P(ecss.callapi.readiness_cocon_checks#filter).
    type: list
    elements: dict
    required: true
  unreached:
    description: Nodes Ansible could not run on; each of their node checks becomes a warning saying so.
    type: list
    elements: str
    default: []
  domains:
    description: C(ecss_domains), for each subscriber's amoCRM user in readiness.html.
    type: list
    elements: dict
    default: []
  dest:
    description: The report directory on the controller (C(ecss_report_dir)).
    type: path
    required: true
seealso:
  - plugin: ecss.callapi.readiness_report
    plugin_type: filter
  - plugin: ecss.callapi.readiness_html
    plugin_type: filter
  - plugin: ecss.callapi.readiness_sections
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Report | readiness.json and readiness.html
  ecss.callapi.readiness_report:
    checks: "{{ node_checks + cocon_checks }}"
    domains: "{{ ecss_domains }}"
    dest: /home/operator/ecss-widget-settings
  register: report

- name: Report | What is not ok, per domain
  ansible.builtin.debug:
    msg: "{{ item.lines }}"
  loop: "{{ report.sections }}"
  loop_control:
    label: "{{ item.section }}"
"""

RETURN = r"""
ready:
  description: True when no check is V(fail).
  returned: success
  type: bool
generated_at:
  description: When the report was put together (ISO 8601, UTC), as in readiness.json.
  returned: success
  type: str
  sample: "2026-11-30T10:00:00Z"
counts:
  description: Checks per status.
  returned: success
  type: dict
  sample: {"ok": 29, "warn": 0, "fail": 0}
sections:
  description: The play output of P(ecss.callapi.readiness_sections#filter) - per section the lines of checks that are not ok, then how many are.
  returned: success
  type: list
  elements: dict
files:
  description: The two report files.
  returned: success
  type: list
  elements: str
"""
