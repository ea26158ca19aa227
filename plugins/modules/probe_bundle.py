#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: probe_bundle
short_description: Write what a read-only probe of CoCon found into a directory of its own
version_added: 0.1.0
description:
  - "Writes the bundle of C(playbooks/probe.yml) (see C(docs/real-console.md)) into O(path), normally
    on the controller (C(delegate_to: localhost))."
  - One file per command, named after the command as the unit tests' fixtures are
    (C(/domain/biysk.local/integrations/list) is C(domain_biysk.local_integrations_list.txt)), holding the
    answer exactly as M(ecss.callapi.cocon_read) returned it (already redacted); C(commands.yml), the
    list of commands in the order sent with each one's file, status and CoCon's words of a failure;
    C(capabilities.yml), what M(ecss.callapi.cocon_facts) found, with C(number_ranges) as its first key.
  - The directory is created with mode 0700 and every file is written with mode 0600. An existing
    directory must be dedicated to the bundle, else the task fails before anything is written and the
    directory is left as it is, never re-moded. Dedicated means a real directory (not a symbolic link)
    of the user who runs the module, not writable by its group or others, without the sticky bit, and
    holding nothing but bundle files. A dedicated directory with a wider mode (such as 0755) is tightened
    to 0700.
  - Files of an earlier bundle that this one does not hold are removed, so the directory holds one probe run.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.attributes
attributes:
  check_mode:
    support: full
    details:
      - Checks the directory and reports what would be written; writes nothing. C(playbooks/probe.yml)
        runs it this way first, so that an unusable directory stops the probe before any CoCon command.
  diff_mode:
    support: none
  action_group:
    support: none
    membership: []
options:
  path:
    description: The bundle directory, an absolute path (C(~) is expanded).
    type: path
    required: true
  results:
    description: The RV(ecss.callapi.cocon_read#module:results) of M(ecss.callapi.cocon_read).
    type: list
    elements: dict
    default: []
  facts:
    description:
      - The registered result of M(ecss.callapi.cocon_facts); its RV(ecss.callapi.cocon_facts#module:cocon_capabilities),
        C(domain), C(domains) and C(notes) go into C(capabilities.yml), and its C(msg) when it failed.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: The bundle directory can be used (nothing is written)
  ecss.callapi.probe_bundle:
    path: ~/ecss-probe
  check_mode: true
  delegate_to: localhost

- name: Write the bundle
  ecss.callapi.probe_bundle:
    path: ~/ecss-probe
    results: "{{ answers.results }}"
    facts: "{{ cocon }}"
  delegate_to: localhost
"""

RETURN = r"""
path:
  description: The bundle directory.
  returned: always
  type: str
  sample: /home/ops/ecss-probe
files:
  description: The files of the bundle (written, or that would be written in check mode).
  returned: always
  type: list
  elements: str
  sample: [capabilities.yml, commands.yml, domain_list.txt]
removed:
  description: Files of an earlier bundle that this one does not hold, removed (or to be removed in check mode).
  returned: always
  type: list
  elements: str
  sample: [domain_old.local_integrations_list.txt]
created:
  description: Whether the directory was created (or would be, in check mode).
  returned: always
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecss.callapi.plugins.module_utils.probe_bundle import BundleError, bundle_files, write_bundle


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            results=dict(type="list", elements="dict", default=[]),
            facts=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    try:
        files = bundle_files(module.params["results"], module.params["facts"])
        result = write_bundle(module.params["path"], files, module.check_mode)
    except BundleError as exc:
        module.fail_json(msg="probe bundle: %s" % exc)
    except OSError as exc:
        module.fail_json(msg="probe bundle: cannot write into %s: %s" % (module.params["path"], exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
