# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: settings_records
version_added: 0.1.0
author: ecss.callapi contributors (@ecss)
short_description: Which client id the widget settings files record for each domain (never the key)
description:
  - Reads, on the controller, C(<dir>/<domain>.json) (written by C(playbooks/site.yml) and
    C(rotate_keys.yml)) and C(<dir>/<domain>.removed.json) (written by C(remove.yml) when it removed
    the domain's integration), and returns only the client ids they record.
  - C(remove.yml) uses them to tell a mistyped client id from an integration that was removed
    already; see docs/site.md.
options:
  _terms:
    description: Domain names (or one list of them).
    type: list
    elements: str
    required: true
  dir:
    description: The settings directory (C(ecss_widget_settings_dir)).
    type: path
    required: true
"""

EXAMPLES = r"""
- name: What the settings files record
  ansible.builtin.debug:
    msg: "{{ query('ecss.callapi.settings_records', 'biysk.local', dir=ecss_widget_settings_dir) }}"
"""

RETURN = r"""
_raw:
  description: One entry per domain, in the order given.
  type: list
  elements: dict
  contains:
    domain:
      description: The domain.
      type: str
    settings_client_id:
      description: The client id in C(<domain>.json); null when the file does not exist.
      type: str
    removed_client_id:
      description: The client id in C(<domain>.removed.json); null when the file does not exist.
      type: str
"""

import errno
import json
import os

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase


def recorded_client_id(path):
    """The client id a settings file records, None when there is no such file."""
    try:
        with open(path, "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except IOError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise AnsibleLookupError("settings_records: cannot read %s: %s" % (path, exc.strerror))
    except ValueError:
        raise AnsibleLookupError("settings_records: %s is not a JSON settings file; repair or delete it" % path)
    client_id = data.get("client_id") if isinstance(data, dict) else None
    if not isinstance(client_id, str):
        raise AnsibleLookupError("settings_records: %s records no client_id; repair or delete it" % path)
    return client_id


def settings_records(directory, domains):
    """What <directory>/<domain>.json and .removed.json record, per domain: client ids only."""
    records = []
    for domain in domains:
        if not isinstance(domain, str) or not domain or "/" in domain or domain in (".", ".."):
            raise AnsibleLookupError("settings_records: %r is not a domain name" % (domain,))
        records.append(dict(
            domain=domain,
            settings_client_id=recorded_client_id(os.path.join(directory, domain + ".json")),
            removed_client_id=recorded_client_id(os.path.join(directory, domain + ".removed.json")),
        ))
    return records


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        # query('...', ['a', 'b']) and query('...', 'a', 'b') both give the domains a and b.
        domains = [name for term in terms for name in (term if isinstance(term, list) else [term])]
        return settings_records(os.path.expanduser(self.get_option("dir")), domains)
