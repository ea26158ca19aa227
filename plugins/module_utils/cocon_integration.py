# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of ``ecss.callapi.integration`` and ``ecss.callapi.integration_info``.

An existing integration's key is read back from ``integrations/list`` ([seen]), never
regenerated; ``add`` and ``replace`` print the new key.  Keys never reach a diff, a warning
or a message: only their fingerprint does.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import CoconCommandError, CoconOutputError
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import TaskFailed, key_fingerprint
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import (
    parse_integrations_list,
    parse_new_api_key,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import CoconInputError, check_identifier


def integrations_base(domain):
    return "/domain/%s/integrations" % domain


def list_integrations(task, domain):
    return parse_integrations_list(task.read(integrations_base(domain) + "/list").output)


def integration_state(row):
    if row is None:
        return dict(present=False)
    state = dict(present=True, api_key_fingerprint=key_fingerprint(row.get("api_key")))
    if row.get("type"):
        state["type"] = row["type"]
    return state


def add_command(domain, client_id, integration_type, numbers):
    command = "%s/add %s" % (integrations_base(domain), client_id)
    if integration_type == "widget":
        command += " --widget"
    elif integration_type == "service":
        command += " --service" + (" --numbers %s" % numbers if numbers else "")
    return command


def integration_info(task, params):
    domain = check_identifier("domain", params["domain"], "domain")
    integrations = []
    for row in list_integrations(task, domain):
        entry = dict(row, api_key_fingerprint=key_fingerprint(row.get("api_key")))
        if not params["reveal_keys"]:
            entry.pop("api_key")
        integrations.append(entry)
    return dict(changed=False, integrations=integrations)


def _checked(params):
    domain = check_identifier("domain", params["domain"], "domain")
    client_id = check_identifier("client_id", params["client_id"], "client_id")
    numbers = None
    if params["numbers"] is not None:
        if params["type"] != "service":
            raise CoconInputError("numbers only applies to type=service")
        numbers = check_identifier("numbers", params["numbers"], "numbers")
    return domain, client_id, numbers


def _planned_command(task, params, domain, client_id, numbers, row, rows):
    """The one mutating command the run needs (or None), after checking an existing row."""
    base = integrations_base(domain)
    if params["state"] == "absent":
        if row is not None:
            return "%s/remove %s" % (base, client_id)
        if rows:
            # A client id the domain does not hold, while it holds others: most likely a typo.
            others = ", ".join(sorted(r["client_id"] for r in rows))
            if not params.get("force"):
                raise TaskFailed("client id %r does not exist in %s, which holds integrations for %s - a typo? "
                                 "Nothing was removed. Give the existing client id, or force: true if %r is "
                                 "known to be removed already." % (client_id, domain, others, client_id))
            task.capabilities.warn("client id %r does not exist in %s, which holds integrations for %s; nothing was "
                                   "removed (force: true)" % (client_id, domain, others))
        return None
    if row is None:
        return add_command(domain, client_id, params["type"], numbers)
    if params["type"] and row.get("type") and row["type"] != params["type"]:
        raise TaskFailed("integration %r in %s is of type %s, not %s. Changing the type means removing "
                         "and adding it again, which issues a new key: run with state=absent first "
                         "if that is intended." % (client_id, domain, row["type"], params["type"]))
    if numbers and row.get("numbers") and row["numbers"] != numbers:
        raise TaskFailed("integration %r in %s serves numbers %s, not %s; remove it first (state=absent) "
                         "to recreate it" % (client_id, domain, row["numbers"], numbers))
    if params["rotate"]:
        return "%s/replace %s" % (base, client_id)
    if not row.get("api_key"):
        task.capabilities.warn("integrations/list shows no key for %r; api_key is unknown" % client_id)
    return None


def ensure_integration(task, params):
    domain, client_id, numbers = _checked(params)
    present = params["state"] == "present"
    rows = list_integrations(task, domain)
    row = next((r for r in rows if r["client_id"] == client_id), None)
    before = integration_state(row)
    command = _planned_command(task, params, domain, client_id, numbers, row, rows)
    api_key = row.get("api_key") if row and present and command is None else None
    if command is not None:
        try:
            result = task.change(command)
        except CoconCommandError as refused:
            row = _adopt_a_parallel_run(task, params, domain, client_id, refused)
            api_key = row.get("api_key") if row else None
            command = None
        else:
            if result is not None and present:
                api_key = parse_new_api_key(result.output)
                if not api_key:
                    raise CoconOutputError("CoCon printed no API key after %r" % command, command)
    changed = command is not None
    after = dict(present=present)
    if present:
        after["api_key_fingerprint"] = key_fingerprint(api_key) if api_key else (
            "(new key)" if changed else before.get("api_key_fingerprint"))
        if params["type"] or row and row.get("type"):
            after["type"] = params["type"] or row.get("type")
    return dict(
        changed=changed,
        domain=domain,
        client_id=client_id,
        api_key=api_key,
        api_key_fingerprint=key_fingerprint(api_key),
        diff=dict(before=before, after=after),
    )


def _adopt_a_parallel_run(task, params, domain, client_id, refused):
    """Another session (a parallel run) may have added or removed it since our list: adopt that."""
    try:
        rows = list_integrations(task, domain)
    except CoconCommandError:
        raise refused
    row = next((r for r in rows if r["client_id"] == client_id), None)
    raced = row is None if params["state"] == "absent" else (row is not None and not params["rotate"])
    if not raced:
        raise refused
    command = task.commands.pop()
    task.capabilities.warn("%r for %s in %s was done by another session meanwhile; adopted its result"
                           % (command, client_id, domain))
    return row
