#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: alias_property
short_description: Ensure a property value on many ECSS-10 aliases (subscribers) in one task
version_added: 0.1.0
description:
  - By default grants C(api\call\enabled true), the permission the amoCRM widget needs to log in
    to the Call API for a subscriber's number.
  - Reads each alias's properties with C(alias/info), then sends C(alias/set) only for the aliases
    whose value differs. Every alias line CoCon prints after C(alias/set) is checked; a flagged
    line (alias does not exist, no free licence, ...) fails the task naming that alias, after the
    other aliases were applied.
  - Hundreds of aliases go in one call over one SSH session. With O(use_ranges=true), runs of
    consecutive numbers whose interface is C(<number>@<domain>) are read and set with one ECSS
    range command each (C(2404{70-79})). Ranges in C(alias/info) and C(alias/set) are not
    confirmed on every release; when CoCon rejects a range the module falls back to one command
    per alias by itself (with a warning). Set O(use_ranges=false) to never send ranges.
  - The layout of C(alias/info) output is not confirmed either; it is parsed leniently. An alias
    that C(alias/info) does not show is treated as missing; in a real run C(alias/set) has the
    last word on it.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.cocon
attributes:
  check_mode:
    support: full
    description: Only C(alias/info) is sent; RV(commands) and RV(changed_aliases) tell what would be done.
  diff_mode:
    support: full
    description: Old and new value of each changed alias.
options:
  domain:
    description: ECSS-10 domain (virtual PBX) name.
    type: str
    required: true
  aliases:
    description:
      - The aliases (subscriber numbers). Each is a number (string or integer), which uses O(group)
        and the interface C(<number>@<domain>), or a dict with C(alias), and optionally C(group)
        and C(iface).
    type: list
    elements: raw
    required: true
  group:
    description: Interface group (the SIP user group the subscribers were declared in, e.g. C(loc.gr)) for aliases that do not name their own.
    type: str
  property:
    description: Alias property. The backslashes are part of the name and reach CoCon literally.
    type: str
    default: api\call\enabled
  value:
    description: Value the property must have.
    type: str
    default: "true"
  use_ranges:
    description:
      - Read and set runs of consecutive numbers with one ECSS range command each.
      - Falls back to one command per alias by itself when the console rejects a range.
    type: bool
    default: true
  parallel_connections:
    description:
      - At most this many SSH connections work through the per-alias commands at the same time.
      - One connection is added per 64 pending commands, so small runs stay on one connection and in order.
      - With limited licences (C(L) flags) the aliases that get one may differ between parallel runs.
    type: int
    default: 4
"""

EXAMPLES = r"""
- name: Let the amoCRM widget log in for these subscribers
  ecss.callapi.alias_property:
    domain: biysk.local
    group: loc.gr
    aliases:
      - "240473"
      - "240474"
      - alias: "240480"
        group: office.gr
        iface: 240480@biysk.local
  register: permissions

- name: Revoke the permission
  ecss.callapi.alias_property:
    domain: biysk.local
    group: loc.gr
    aliases: ["240475"]
    value: "false"
"""

RETURN = r"""
changed_aliases:
  description: Aliases whose property was (in check mode, would be) set, as strings.
  returned: always
  type: list
  elements: str
  sample: ["240473", "240474"]
failed_aliases:
  description: Aliases CoCon flagged in its C(alias/set) report, with the flag and its meaning.
  returned: on failure
  type: list
  elements: dict
  sample: [{alias: "240499", flag: "*", meaning: "setup broken: alias does not exist"}]
commands:
  description: C(alias/set) commands sent (in check mode, that would be sent).
  returned: always
  type: list
  elements: str
  sample: ["/domain/biysk.local/alias/set 24047{3-4} loc.gr 24047{3-4}@biysk.local api\\call\\enabled true"]
"""

import threading

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_client import (
    CoconCommandError,
    CoconConnectionError,
    CoconError,
    CoconTimeoutError,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import (
    cocon_argument_spec,
    cocon_client,
    run_cocon_module,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import (
    parse_alias_info,
    parse_alias_set,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_ranges import compress
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import (
    CoconInputError,
    check_identifier,
)

INVALID_ARGUMENTS = "Invalid command's arguments:"
# An extra SSH connection (key exchange, login) costs about as much as a few commands, so one
# is added only per this many pending commands; small runs stay on one connection, in order.
COMMANDS_PER_EXTRA_CONNECTION = 64
MAX_PARALLEL_CONNECTIONS = 16


def subscriber_list(aliases, domain, default_group):
    """Normalise the ``aliases`` option to ``[{alias, group, iface}]`` (each checked), without repeats."""
    entries = {}
    for index, item in enumerate(aliases):
        where = "aliases[%d]" % index
        if isinstance(item, dict):
            unknown = set(item) - {"alias", "group", "iface"}
            if unknown:
                raise CoconInputError("%s has unknown key(s) %s; use alias, group, iface" % (where, ", ".join(sorted(unknown))))
            if item.get("alias") is None:
                raise CoconInputError("%s needs an alias" % where)
            alias, group, iface = item["alias"], item.get("group") or default_group, item.get("iface")
        else:
            alias, group, iface = item, default_group, None
        if isinstance(alias, bool) or not isinstance(alias, (str, int)):
            raise CoconInputError("%s: an alias is a number or a string, got %s" % (where, type(alias).__name__))
        alias = check_identifier("alias", str(alias), where + ".alias")
        if group is None:
            raise CoconInputError("%s (%s) has no group: set the group option or give the alias a group" % (where, alias))
        entry = dict(
            alias=alias,
            group=check_identifier("group", group, where + ".group"),
            iface=check_identifier("iface", iface if iface is not None else "%s@%s" % (alias, domain), where + ".iface"),
        )
        if alias in entries and entries[alias] != entry:
            raise CoconInputError("alias %s is listed twice with different group or interface" % alias)
        entries[alias] = entry
    return list(entries.values())


def batches(entries, domain, use_ranges):
    """Commands' alias/group/iface arguments: ``[(alias_arg, group, iface_arg, [aliases])]``."""
    planned = []
    by_group = {}
    for entry in entries:
        by_group.setdefault(entry["group"], []).append(entry)
    for group in sorted(by_group):
        rangeable = []
        for entry in by_group[group]:
            if use_ranges and entry["alias"].isdigit() and entry["iface"] == "%s@%s" % (entry["alias"], domain):
                rangeable.append(entry["alias"])
            else:
                planned.append((entry["alias"], group, entry["iface"], [entry["alias"]]))
        for pattern, run in compress(rangeable):
            planned.append((pattern, group, "%s@%s" % (pattern, domain), run))
    return planned


def normalized(value):
    return None if value is None else value.strip().lower()


class AliasPropertyRun(object):
    """One module run: read current values, set the differing ones, collect per-alias results."""

    def __init__(self, module, client, commands, domain, entries, prop, value, client_factory=None):
        self.module = module
        self.client = client
        self.client_factory = client_factory
        self.commands = commands
        self.domain = domain
        self.entries = entries
        self.by_alias = dict((e["alias"], e) for e in entries)
        self.prop = prop
        self.value = value
        self.use_ranges = module.params["use_ranges"]
        self.max_connections = module.params["parallel_connections"]
        self.applied = []
        self.failed = []
        self._lock = threading.Lock()
        self._queue = []
        self._errors = []

    def run_batched(self, planned, command_for, handle):
        """Run one command per batch, over several connections for long runs; stop at the first error.

        A rejected range re-plans the rest one alias per command.  ``command_for`` and ``handle``
        run under a lock, so ``commands`` keeps the planned order and results are never torn.
        """
        self._queue = list(planned)
        self._errors = []
        wanted = min(self.max_connections, max(1, len(planned) // COMMANDS_PER_EXTRA_CONNECTION))
        threads = []
        if wanted > 1 and self.client_factory is not None:
            # The first connection records a new host key (accept-new) before the others look it up.
            self.client.connect()
            threads = [threading.Thread(target=self._extra_connection, args=(command_for, handle))
                       for _index in range(wanted - 1)]
            for thread in threads:
                thread.start()
        self._guarded(self.client, command_for, handle)
        for thread in threads:
            thread.join()
        if self._errors:
            raise self._errors[0]

    def _extra_connection(self, command_for, handle):
        client = self.client_factory()
        try:
            with client:
                try:
                    if client.exec_mode != "connection_per_command":
                        client.connect()
                except CoconError as exc:
                    self.module.warn("could not open another connection (%s); continuing with fewer" % exc)
                    return
                self._guarded(client, command_for, handle)
        finally:
            for warning in client.warnings:
                self.module.warn(warning)

    def _guarded(self, client, command_for, handle):
        try:
            self._work(client, command_for, handle)
        except Exception as exc:  # re-raised by run_batched in the module's thread
            with self._lock:
                self._errors.append(exc)

    def _work(self, client, command_for, handle):
        while True:
            with self._lock:
                if self._errors or not self._queue:
                    return
                batch = self._queue.pop(0)
                alias_arg, group, iface_arg, members = batch
                command = command_for(alias_arg, group, iface_arg)
            try:
                output = client.run(command).output
            except CoconCommandError as exc:
                if len(members) == 1 or INVALID_ARGUMENTS not in str(exc):
                    raise
                self._ranges_rejected(command, batch)
                continue
            with self._lock:
                handle(command, members, output)

    def _ranges_rejected(self, command, batch):
        with self._lock:
            if command in self.commands:
                self.commands.remove(command)  # rejected as a whole: nothing was changed by it
            if self.use_ranges:
                self.use_ranges = False
                self.module.warn("CoCon rejected the number range in %r; continuing with one command per alias "
                                 "(set use_ranges=false to skip ranges)" % command)
            remaining = [self.by_alias[a] for queued in [batch] + self._queue for a in queued[3]]
            self._queue[:] = batches(remaining, self.domain, False)

    def read_current(self):
        base = "/domain/%s/alias/info" % self.domain
        current = {}

        def handle(command, members, output):
            found = parse_alias_info(output, default_alias=members[0] if len(members) == 1 else None)
            for alias in members:
                if alias in found:
                    current[alias] = found[alias].get(self.prop)

        self.run_batched(batches(self.entries, self.domain, self.use_ranges),
                         lambda a, g, i: "%s %s %s %s" % (base, a, g, i), handle)
        return current

    def set_values(self, entries):
        base = "/domain/%s/alias/set" % self.domain
        suffix = " %s %s" % (self.prop, self.value)

        def handle(command, members, output):
            report = parse_alias_set(output)
            lines = dict((r["alias"], r) for r in (report or {}).get("results", []))
            for alias in members:
                line = lines.get(alias)
                if line is None:
                    self.failed.append(dict(alias=alias, flag=None, meaning="not reported by CoCon after %r" % command))
                elif line["failed"]:
                    self.failed.append(dict(alias=alias, flag=line["flag"], meaning=line["meaning"]))
                else:
                    self.applied.append(alias)

        def command_for(alias_arg, group, iface_arg):
            command = "%s %s %s %s%s" % (base, alias_arg, group, iface_arg, suffix)
            self.commands.append(command)
            return command

        self.run_batched(batches(entries, self.domain, self.use_ranges), command_for, handle)

    def plan_commands(self, entries):
        return ["/domain/%s/alias/set %s %s %s %s %s" % (self.domain, a, g, i, self.prop, self.value)
                for a, g, i, _members in batches(entries, self.domain, self.use_ranges)]


def main():
    argument_spec = cocon_argument_spec()
    argument_spec.update(
        domain=dict(type="str", required=True),
        aliases=dict(type="list", elements="raw", required=True),
        group=dict(type="str"),
        property=dict(type="str", default="api\\call\\enabled"),
        value=dict(type="str", default="true"),
        use_ranges=dict(type="bool", default=True),
        parallel_connections=dict(type="int", default=4),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if not 1 <= params["parallel_connections"] <= MAX_PARALLEL_CONNECTIONS:
        module.fail_json(msg="parallel_connections must be from 1 to %d, got %d"
                             % (MAX_PARALLEL_CONNECTIONS, params["parallel_connections"]))
    try:
        domain = check_identifier("domain", params["domain"], "domain")
        prop = check_identifier("property", params["property"], "property")
        value = check_identifier("value", params["value"], "value")
        group = check_identifier("group", params["group"], "group") if params["group"] is not None else None
        entries = subscriber_list(params["aliases"], domain, group)
    except CoconInputError as exc:
        module.fail_json(msg=str(exc))

    def work(client, commands):
        run = AliasPropertyRun(module, client, commands, domain, entries, prop, value,
                               client_factory=lambda: cocon_client(module))
        current = run.read_current()
        missing = [e["alias"] for e in entries if e["alias"] not in current]
        to_set = [e for e in entries if e["alias"] not in current or normalized(current[e["alias"]]) != normalized(value)]
        diff = dict(before=dict((e["alias"], current.get(e["alias"])) for e in to_set),
                    after=dict((e["alias"], value) for e in to_set))

        if module.check_mode:
            commands.extend(run.plan_commands(to_set))
            changed_aliases = [e["alias"] for e in to_set]
            if missing:
                module.fail_json(msg="alias/info does not show %d alias(es) in %s: %s; alias/set would fail for them"
                                     % (len(missing), domain, ", ".join(missing)),
                                 changed_aliases=changed_aliases, commands=commands)
            return dict(changed=bool(to_set), changed_aliases=changed_aliases, diff=diff)

        try:
            run.set_values(to_set)
        except (CoconConnectionError, CoconTimeoutError) as exc:
            module.fail_json(msg="%s. Stopped there: %d alias(es) were set before (see changed_aliases); "
                                 "run the task again to finish the rest." % (exc, len(run.applied)),
                             changed=bool(run.applied), changed_aliases=run.applied, commands=commands,
                             failed_command=exc.command)
        if run.failed:
            module.fail_json(
                msg="alias/set did not apply %s=%s to %d alias(es) in %s: %s" % (
                    prop, value, len(run.failed), domain,
                    "; ".join("%s (%s)" % (f["alias"], f["meaning"]) for f in run.failed)),
                changed=bool(run.applied), changed_aliases=run.applied, failed_aliases=run.failed,
                commands=commands)
        return dict(changed=bool(run.applied), changed_aliases=run.applied, diff=diff)

    run_cocon_module(module, work)


if __name__ == "__main__":
    main()
