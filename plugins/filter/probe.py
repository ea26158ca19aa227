# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read commands of playbooks/probe.yml, from the ecss_domains variable of site.yml."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_alias import ALIAS_INFO, batches, subscriber_list
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import CoconInputError

SIP_USER_INFO = "/domain/%s/sip/user/info %s %s"


def probe_commands(domains):
    """Every read command the collection relies on, for these domains, each once, in sending order."""
    commands = ["/domain/list", "/api/csta/info"]
    try:
        for domain in domains:
            name = domain["name"]
            commands.append("/domain/%s/integrations/list" % name)
            aliases = [dict((key, value) for key, value in (("alias", subscriber["number"]),
                                                            ("group", subscriber.get("group")),
                                                            ("iface", subscriber.get("iface"))) if value is not None)
                       for subscriber in domain.get("subscribers") or []]
            entries = subscriber_list(aliases, name, domain.get("group"))
            if not entries:
                continue
            first = entries[0]
            commands.append(ALIAS_INFO % (name, first["alias"], first["group"], first["iface"]))
            commands.append(SIP_USER_INFO % (name, first["group"], first["iface"]))
            # The range read that cocon_facts and alias_property send first for this domain.
            run = next((batch for batch in batches(entries, name, True) if batch.is_range), None)
            if run is not None:
                commands.append(ALIAS_INFO % (name, run.alias_arg, run.group, run.iface_arg))
    except (CoconInputError, KeyError, TypeError, AttributeError) as exc:
        raise AnsibleFilterError("probe_commands: ecss_domains is not valid (%s); check it with "
                                 "ecss.callapi.ecss_domains_problems first" % exc)
    return list(dict.fromkeys(commands))


class FilterModule(object):

    def filters(self):
        return {"probe_commands": probe_commands}
