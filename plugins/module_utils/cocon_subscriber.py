# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of ``ecss.callapi.subscriber_info``: aliases, their properties and phone registration.

Reads only.  ``alias/info`` goes through the shared reader of ``alias_property`` (number
ranges decided by what the console does, parallel connections); ``sip/user/info`` ([seen])
is sent once per subscriber over the same pool, never with ranges (nothing shows that the
console takes them there).  Only the [seen] sentence ``Contacts list is empty`` counts as
"not registered" and only a contacts table as "registered"; any other answer, CoCon's
refusal included, leaves the registration ``unknown`` with CoCon's words.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_alias import read_aliases, subscriber_list
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import CoconError
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import parse_sip_user_info
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import check_identifier

SIP_USER_INFO = "/domain/%s/sip/user/info %s %s"


def _registrations(task, pool, domain, entries):
    """``{alias: {"registration", "contacts", "registration_error"}}`` from one sip/user/info each."""
    commands = [SIP_USER_INFO % (domain, entry["group"], entry["iface"]) for entry in entries]
    answers = pool.run(commands, collect_command_errors=True)
    found = {}
    for entry, answer in zip(entries, answers):
        if isinstance(answer, CoconError):
            found[entry["alias"]] = dict(registration="unknown", contacts=[],
                                         registration_error=getattr(answer, "words", None) or str(answer))
            continue
        parsed = parse_sip_user_info(answer.output)
        error = None
        if parsed["registration"] == "unknown":
            error = "sip/user/info answered in a layout this collection does not read: %s" % (
                " ".join(answer.body.split())[:200] or "an empty answer")
        found[entry["alias"]] = dict(parsed, registration_error=error)
    return found


def subscriber_info(task, params):
    domain = check_identifier("domain", params["domain"], "domain")
    group = check_identifier("group", params["group"], "group") if params["group"] is not None else None
    entries = subscriber_list(params["aliases"], domain, group)
    pool = task.pool(params["parallel_connections"])

    readings = read_aliases(task, pool, domain, entries, params["use_ranges"])
    # An alias alias/info did not show has no SIP user to ask about; one it could not read may.
    asked = [entry for entry in entries if entry["alias"] not in readings.not_shown]
    registrations = _registrations(task, pool, domain, asked) if params["registration"] else {}

    subscribers = []
    for entry in entries:
        alias = entry["alias"]
        if alias in readings.shown:
            exists, properties, error = True, readings.shown[alias], None
        elif alias in readings.not_shown:
            exists, properties, error = False, None, readings.not_shown[alias]
        else:
            exists, properties = None, None
            error = "alias/info could not be read (this console answers in a layout this collection does not read)"
        subscriber = dict(entry, exists=exists, properties=properties, error=error)
        subscriber.update(registrations.get(alias) or dict(registration=None, contacts=[], registration_error=None))
        subscribers.append(subscriber)
    return dict(changed=False, domain=domain, subscribers=subscribers)
