# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of ``ecss.callapi.cocon_facts``: find out, with read commands only, what this console does.

Each capability is decided the way the modules decide it in a run (same code), so what
``cocon_facts`` reports is what a module would have found:
- ``exec_channels_per_connection``: the second command of the connection tests a second channel;
- ``interactive_shell``: where that fails, the next command tests an interactive session;
- ``csta_info_layout``: ``/api/csta/info``;
- ``alias_info_layout``: ``alias/info`` of the first alias given (``unknown`` when none is given
  or CoCon does not show it);
- ``number_ranges``: one ``alias/info`` over the first run of at least two consecutive aliases
  given with the default interface; without such a run it is not tested (``number_ranges``
  false, ``number_ranges_tested`` false), and modules handed these capabilities test it themselves.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_alias import (
    AliasReader,
    Batch,
    batches,
    subscriber_list,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_csta import read_csta
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import parse_domain_list
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import check_identifier

DOMAIN_LIST = "/domain/list"


def gather_capabilities(task, params):
    notes = []
    domains = parse_domain_list(task.read(DOMAIN_LIST).output)
    read_csta(task)
    if params["domain"] is not None:
        domain = check_identifier("domain", params["domain"], "domain")
    else:
        domain = domains[0] if domains else None
    group = check_identifier("group", params["group"], "group") if params["group"] is not None else None
    entries = subscriber_list(params["aliases"] or [], domain, group) if domain else []
    if not domain:
        notes.append("domain/list shows no domain: alias/info and number ranges were not tested")
    elif not entries:
        notes.append("no aliases given: alias/info and number ranges were not tested")
    else:
        reader = AliasReader(task, task.pool(1), domain)
        first = entries[0]
        reader.read_batches([Batch(first["alias"], first["group"], first["iface"], [first["alias"]])])
        if first["alias"] not in reader.readings.shown:
            notes.append("alias/info does not show %s in %s: its layout is unknown" % (first["alias"], domain))
        run = next((batch for batch in batches(entries, domain, True) if batch.is_range), None)
        if run is None:
            notes.append("no two consecutive aliases with the default interface given: number ranges were not "
                         "tested")
        else:
            reader.probe_ranges(run)
    if task.capabilities.exec_channels_per_connection is None:
        notes.append("cocon_exec_mode=%s: several exec channels per connection were not tested"
                     % params["cocon_exec_mode"])
    capabilities = task.capabilities.as_dict()
    if capabilities["alias_info_layout"] is None:
        capabilities["alias_info_layout"] = "unknown"
    if capabilities["csta_info_layout"] is None:
        capabilities["csta_info_layout"] = "unknown"
    return dict(changed=False, cocon_capabilities=capabilities, domain=domain, domains=domains, notes=notes)
