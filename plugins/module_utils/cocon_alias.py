# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Aliases (subscriber numbers): read their properties, set one property on many of them.

``alias/info`` and ``alias/set`` of one alias are [seen]; number ranges in them
(``2404{70-79}``) and the layout of ``alias/info`` are not confirmed, so both are decided by
what the console does:

- Ranges in reads count as supported only when a range read that the run needs anyway answers
  with every member alias shown on its own.  Anything else (a failure, the pattern echoed as one
  alias, members missing, an empty or unreadable answer, a timeout) means "not supported": the
  rest is read one alias per command.
- Ranges in ``alias/set`` are used only once ranges in reads were proven on that console, and a
  member that the set report does not list on its own is set again by itself, never assumed done.
- An ``alias/info`` answer in no layout read here leaves the alias's value unknown: it is set, and
  reported as changed.

:func:`read_aliases` is the shared reader (``alias_property``, ``cocon_facts``, later readers).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import (
    CoconCommandError,
    CoconConnectionError,
    CoconError,
    CoconLockedError,
    CoconTimeoutError,
    CoconUnknownCommandError,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import TaskFailed
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import (
    normalized,
    parse_alias_info,
    parse_alias_set,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_ranges import compress
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import (
    CoconInputError,
    check_identifier,
    cocon_value,
)

ALIAS_INFO = "/domain/%s/alias/info %s %s %s"
ALIAS_SET = "/domain/%s/alias/set %s %s %s %s %s"
DEFAULT_PROPERTY = "api\\call\\enabled"


def subscriber_list(aliases, domain, default_group):
    """Normalise the ``aliases`` option to ``[{alias, group, iface}]`` (each checked), without repeats."""
    entries = {}
    for index, item in enumerate(aliases):
        where = "aliases[%d]" % index
        if isinstance(item, dict):
            unknown = set(item) - {"alias", "group", "iface"}
            if unknown:
                raise CoconInputError("%s has unknown key(s) %s; use alias, group, iface"
                                      % (where, ", ".join(sorted(unknown))))
            if item.get("alias") is None:
                raise CoconInputError("%s needs an alias" % where)
            alias, group, iface = item["alias"], item.get("group") or default_group, item.get("iface")
        else:
            alias, group, iface = item, default_group, None
        alias = check_identifier("alias", alias, where + ".alias" if isinstance(item, dict) else where)
        if group is None:
            raise CoconInputError("%s (%s) has no group: set the group option or give the alias a group"
                                  % (where, alias))
        entry = dict(
            alias=alias,
            group=check_identifier("group", group, where + ".group"),
            iface=check_identifier("iface", iface if iface is not None else "%s@%s" % (alias, domain),
                                   where + ".iface"),
        )
        if alias in entries and entries[alias] != entry:
            raise CoconInputError("alias %s is listed twice with different group or interface" % alias)
        entries[alias] = entry
    return list(entries.values())


class Batch(object):
    """One command's alias arguments: a single alias, or a range of consecutive numbers."""

    def __init__(self, alias_arg, group, iface_arg, members):
        self.alias_arg, self.group, self.iface_arg, self.members = alias_arg, group, iface_arg, members

    @property
    def is_range(self):
        return len(self.members) > 1

    def __eq__(self, other):
        return isinstance(other, Batch) and self.key() == other.key()

    def __ne__(self, other):
        return not self == other

    def __repr__(self):
        return "Batch%r" % (self.key(),)

    def key(self):
        return (self.alias_arg, self.group, self.iface_arg, self.members)


def batches(entries, domain, use_ranges):
    """Group entries into commands: runs of consecutive numbers with the default interface become ranges."""
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
                planned.append(Batch(entry["alias"], group, entry["iface"], [entry["alias"]]))
        for pattern, run in compress(rangeable):
            planned.append(Batch(pattern, group, "%s@%s" % (pattern, domain), run))
    return planned


class AliasReadings(object):
    """What ``alias/info`` showed: ``shown`` {alias: {property: value}}, ``not_shown`` {alias: CoCon's
    words or None}, ``unreadable`` (answers in no layout read here, or no ``alias/info`` at all)."""

    def __init__(self):
        self.shown = {}
        self.not_shown = {}
        self.unreadable = set()


class AliasReader(object):
    """Reads many aliases over a pool, deciding number ranges by what the console answers."""

    def __init__(self, task, pool, domain):
        self.task = task
        self.pool = pool
        self.domain = domain
        self.capabilities = task.capabilities
        self.readings = AliasReadings()

    def command(self, batch):
        return ALIAS_INFO % (self.domain, batch.alias_arg, batch.group, batch.iface_arg)

    def read(self, entries, use_ranges=True):
        by_alias = dict((entry["alias"], entry) for entry in entries)
        plan = batches(entries, self.domain, use_ranges and self.capabilities.number_ranges is not False)
        probe = next((batch for batch in plan if batch.is_range), None)
        if probe is not None and self.capabilities.number_ranges is None:
            plan.remove(probe)
            again = self.probe_ranges(probe)
            plan = batches([by_alias[a] for b in plan for a in b.members] + [by_alias[a] for a in again],
                           self.domain, self.capabilities.number_ranges is True)
        again = self.read_batches(plan)
        if again:
            self.read_batches([Batch(a, by_alias[a]["group"], by_alias[a]["iface"], [a]) for a in again])
        return self.readings

    def probe_ranges(self, batch):
        """Read one range alone; learn whether ranges work.  Returns the members to read one by one."""
        command = self.command(batch)
        try:
            answer = self.task.read(command)
        except CoconLockedError:
            raise
        except CoconUnknownCommandError as exc:
            self._no_alias_info(batch, exc)
            self.capabilities.learn("number_ranges", False)
            return []
        except (CoconCommandError, CoconTimeoutError) as exc:
            answer = exc
        again = self._take(batch, answer)
        proven = not again and not isinstance(answer, CoconError) and bool(batch.members)
        self.capabilities.learn(
            "number_ranges", proven,
            None if proven else "CoCon did not show every member of the number range in %r on its own (%s); "
                                "reading and setting one alias per command (use_ranges=false skips this test)"
                                % (command, answer.words if isinstance(answer, CoconCommandError) else
                                   "timed out" if isinstance(answer, CoconError) else "members missing"))
        return again

    def read_batches(self, plan):
        again = []

        def on_answer(index, _command, answer):
            again.extend(self._take(plan[index], answer))

        self.pool.run([self.command(batch) for batch in plan], on_answer=on_answer, collect_command_errors=True)
        return again

    def _no_alias_info(self, batch, error):
        if self.capabilities.learn("alias_info_layout", "absent"):
            self.capabilities.warn("this console has no alias/info (%s): current values cannot be read, so every "
                                   "alias is set and reported as changed" % error.words)
        self.readings.unreadable.update(batch.members)

    def _take(self, batch, answer):
        """Record one answer; return the members of a range it did not show on their own."""
        if isinstance(answer, CoconUnknownCommandError):
            self._no_alias_info(batch, answer)
            return []
        if isinstance(answer, CoconError):
            if batch.is_range:
                return list(batch.members)
            self.readings.not_shown[batch.members[0]] = getattr(answer, "words", None) or str(answer)
            return []
        layout, found = parse_alias_info(answer.output, None if batch.is_range else batch.members[0])
        if layout == "unknown":
            if batch.is_range:
                return list(batch.members)
            if self.capabilities.learn("alias_info_layout", "unknown"):
                self.capabilities.warn("alias/info answered in a layout this collection does not read (neither a "
                                       "table nor 'name: value' lines); the aliases are set and reported as changed")
            self.readings.unreadable.update(batch.members)
            return []
        if layout != "empty" and self.capabilities.alias_info_layout not in ("unknown", "absent"):
            self.capabilities.learn("alias_info_layout", layout)
        missing = []
        for alias in batch.members:
            if alias in found:
                self.readings.shown[alias] = found[alias]
            elif batch.is_range:
                missing.append(alias)
            else:
                self.readings.not_shown[alias] = None
        return missing


def read_aliases(task, pool, domain, entries, use_ranges=True):
    """:class:`AliasReadings` for ``entries`` (from :func:`subscriber_list`)."""
    return AliasReader(task, pool, domain).read(entries, use_ranges)


class AliasWriter(object):
    """Sets one property on many aliases; ranges only where the console proved it reads them."""

    def __init__(self, task, pool, domain, prop, value):
        self.task = task
        self.pool = pool
        self.domain = domain
        self.prop = prop
        self.value = value
        self.capabilities = task.capabilities
        self.applied = []
        self.failed = []

    def command(self, batch):
        return ALIAS_SET % (self.domain, batch.alias_arg, batch.group, batch.iface_arg, self.prop, self.value)

    def plan(self, entries, use_ranges):
        ranges = use_ranges and self.capabilities.number_ranges is True and \
            self.capabilities.alias_set_ranges is not False
        return batches(entries, self.domain, ranges)

    def write(self, entries, use_ranges=True):
        by_alias = dict((entry["alias"], entry) for entry in entries)
        plan = self.plan(entries, use_ranges)
        probe = next((batch for batch in plan if batch.is_range), None)
        if probe is not None and self.capabilities.alias_set_ranges is None:
            plan.remove(probe)
            again = self._probe_ranges(probe)
            plan = self.plan([by_alias[a] for b in plan for a in b.members] + [by_alias[a] for a in again],
                             use_ranges)
        again = self._write_batches(plan)
        if again:
            self._write_batches([Batch(a, by_alias[a]["group"], by_alias[a]["iface"], [a]) for a in again])

    def _probe_ranges(self, batch):
        command = self.command(batch)
        self.task.commands.append(command)
        try:
            answer = self.task.client.run(command)
        except CoconLockedError:
            raise
        except CoconCommandError as exc:
            answer = exc
        again = self._take(batch, answer)
        proven = not again and not isinstance(answer, CoconError)
        self.capabilities.learn(
            "alias_set_ranges", proven,
            None if proven else "CoCon did not list every member of the number range in %r on its own; setting "
                                "those aliases one per command" % command)
        return again

    def _write_batches(self, plan):
        again = []

        def on_send(_index, command):
            self.task.commands.append(command)

        def on_answer(index, _command, answer):
            if isinstance(answer, CoconError) and not plan[index].is_range:
                raise answer
            again.extend(self._take(plan[index], answer))

        self.pool.run([self.command(batch) for batch in plan], on_send=on_send, on_answer=on_answer,
                      collect_command_errors=True)
        return again

    def _take(self, batch, answer):
        """Record one ``alias/set`` report; return the members of a range it did not list on their own."""
        if isinstance(answer, CoconError):
            return list(batch.members)
        report = parse_alias_set(answer.output)
        lines = dict((line["alias"], line) for line in (report or {}).get("results", []))
        again = []
        for alias in batch.members:
            line = lines.get(alias)
            if line is None and batch.is_range:
                again.append(alias)
            elif line is None:
                self.failed.append(dict(alias=alias, flag=None,
                                        meaning="not reported by CoCon after %r" % self.command(batch)))
            elif line["failed"]:
                self.failed.append(dict(alias=alias, flag=line["flag"], meaning=line["meaning"]))
            else:
                self.applied.append(alias)
        return again


def property_value(value):
    """The ``value`` option as CoCon takes it: YAML booleans become ``true``/``false``."""
    if value is None or isinstance(value, (dict, list)):
        raise CoconInputError("value must be a string, a number or a boolean, got %s" % type(value).__name__)
    return check_identifier("value", cocon_value(value), "value")


def ensure_alias_property(task, params):
    domain = check_identifier("domain", params["domain"], "domain")
    prop = check_identifier("property", params["property"], "property")
    value = property_value(params["value"])
    group = check_identifier("group", params["group"], "group") if params["group"] is not None else None
    entries = subscriber_list(params["aliases"], domain, group)
    pool = task.pool(params["parallel_connections"])

    readings = read_aliases(task, pool, domain, entries, params["use_ranges"])
    current = dict((alias, properties.get(prop)) for alias, properties in readings.shown.items())
    to_set = [e for e in entries if e["alias"] not in current or normalized(current[e["alias"]]) != normalized(value)]
    missing = [e["alias"] for e in entries if e["alias"] in readings.not_shown]
    diff = dict(before=dict((e["alias"], current.get(e["alias"])) for e in to_set),
                after=dict((e["alias"], value) for e in to_set))

    writer = AliasWriter(task, pool, domain, prop, value)
    if task.check_mode:
        task.commands.extend(writer.command(batch) for batch in writer.plan(to_set, params["use_ranges"]))
        changed_aliases = [e["alias"] for e in to_set]
        if missing:
            raise TaskFailed("alias/info does not show %d alias(es) in %s: %s; alias/set would fail for them"
                             % (len(missing), domain, _listed(missing, readings.not_shown)),
                             changed=False, changed_aliases=changed_aliases)
        return dict(changed=bool(to_set), changed_aliases=changed_aliases, diff=diff)

    try:
        writer.write(to_set, params["use_ranges"])
    except (CoconConnectionError, CoconTimeoutError) as exc:
        raise TaskFailed("%s. Stopped there: %d alias(es) were set before (see changed_aliases); "
                         "run the task again to finish the rest." % (exc, len(writer.applied)),
                         changed=bool(writer.applied), changed_aliases=writer.applied, failed_command=exc.command)
    except CoconError as exc:
        raise TaskFailed("%s (%d alias(es) were set before, see changed_aliases)" % (exc, len(writer.applied)),
                         changed=bool(writer.applied), changed_aliases=writer.applied, failed_command=exc.command)
    if writer.failed:
        raise TaskFailed(
            "alias/set did not apply %s=%s to %d alias(es) in %s: %s" % (
                prop, value, len(writer.failed), domain,
                "; ".join("%s (%s)" % (f["alias"], f["meaning"]) for f in writer.failed)),
            changed=bool(writer.applied), changed_aliases=writer.applied, failed_aliases=writer.failed)
    return dict(changed=bool(writer.applied), changed_aliases=writer.applied, diff=diff)


def _listed(aliases, words):
    return ", ".join("%s (%s)" % (alias, words[alias]) if words.get(alias) else alias for alias in aliases)
