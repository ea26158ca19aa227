# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What this console was seen to do, shared by every connection of a module run.

Each unconfirmed behaviour (cocon-reference.md: number ranges, several exec channels per
connection, batch use of the interactive console, the layouts of the two ``info`` commands)
starts unknown and is decided once by
what the console does, or is handed in (``cocon_capabilities``, usually from
``ecss.callapi.cocon_facts``) so that it is not probed again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import threading

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import CoconInputError

LAYOUTS = ("table", "lines", "absent", "unknown")
EXEC_CHANNELS = ("many", "one")
_NODE_RE = re.compile(r"(?P<node>[^\s,]+@[^\s,]+)(?:\s+v\.?(?P<version>[0-9][^\s,]*))?")


class CoconCapabilities(object):
    """Thread-safe record of the console's behaviour; ``None`` means not known (yet)."""

    def __init__(self):
        self.number_ranges = None
        self.alias_set_ranges = None
        self.exec_channels_per_connection = None
        self.interactive_shell = None
        self.csta_info_layout = None
        self.alias_info_layout = None
        self.nodes = None
        self._exec_times = []
        self._warnings = []
        self._lock = threading.Lock()
        # One connection at a time finds out whether a second exec channel works.
        self.channel_probe_lock = threading.Lock()
        # ... and, once it does not, whether an interactive session can carry the commands instead.
        self.shell_probe_lock = threading.Lock()

    @classmethod
    def from_option(cls, value, option="cocon_capabilities"):
        """Capabilities handed in as ``cocon_facts`` returned them (unknown keys are ignored)."""
        capabilities = cls()
        if not value:
            return capabilities
        if not isinstance(value, dict):
            raise CoconInputError("%s must be a dict (the cocon_capabilities that cocon_facts returns), got %s"
                                  % (option, type(value).__name__))
        for key in ("number_ranges", "number_ranges_tested", "alias_set_ranges", "interactive_shell"):
            if value.get(key) is not None and not isinstance(value[key], bool):
                raise CoconInputError("%s.%s must be true, false or null, got %r" % (option, key, value[key]))
        if value.get("number_ranges") is not None and value.get("number_ranges_tested", True):
            capabilities.number_ranges = value["number_ranges"]
        capabilities.alias_set_ranges = value.get("alias_set_ranges")
        capabilities.interactive_shell = value.get("interactive_shell")
        for key, allowed in (("exec_channels_per_connection", EXEC_CHANNELS), ("csta_info_layout", LAYOUTS),
                             ("alias_info_layout", LAYOUTS)):
            if value.get(key) is not None and value[key] not in allowed:
                raise CoconInputError("%s.%s must be one of %s or null, got %r"
                                      % (option, key, ", ".join(allowed), value[key]))
            setattr(capabilities, key, value.get(key))
        # An untested layout says nothing: it is found out from the answer.
        for key in ("csta_info_layout", "alias_info_layout"):
            if getattr(capabilities, key) == "unknown":
                setattr(capabilities, key, None)
        return capabilities

    # -- learning ----------------------------------------------------------------------------
    def learn(self, name, value, warning=None):
        """Record ``name = value``; the first time it changes, keep ``warning`` for the task output."""
        with self._lock:
            changed = getattr(self, name) != value
            setattr(self, name, value)
            if changed and warning:
                self._warnings.append(warning)
        return changed

    def warn(self, warning):
        with self._lock:
            self._warnings.append(warning)

    def pending_warnings(self):
        with self._lock:
            return list(self._warnings)

    def take_warnings(self):
        """The warnings gathered so far (each returned once), for the module's own thread to show."""
        with self._lock:
            warnings, self._warnings = self._warnings, []
        return warnings

    def saw_footer(self, footer):
        if not footer:
            return
        with self._lock:
            self._exec_times.append(footer["exec_time_ms"])
            if self.nodes is None:
                self.nodes = footer["nodes"]

    # -- reporting -----------------------------------------------------------------------------
    def exec_time_ms_median(self):
        with self._lock:
            times = sorted(self._exec_times)
        if not times:
            return None
        middle = len(times) // 2
        return times[middle] if len(times) % 2 else (times[middle - 1] + times[middle]) // 2

    def as_dict(self):
        """The ``capabilities`` every CoCon module returns (and ``cocon_facts`` as ``cocon_capabilities``)."""
        match = _NODE_RE.search(self.nodes or "")
        return dict(
            number_ranges=bool(self.number_ranges),
            number_ranges_tested=self.number_ranges is not None,
            alias_set_ranges=self.alias_set_ranges,
            exec_channels_per_connection=self.exec_channels_per_connection,
            interactive_shell=self.interactive_shell,
            csta_info_layout=self.csta_info_layout,
            alias_info_layout=self.alias_info_layout,
            nodes=self.nodes,
            node=match.group("node") if match else None,
            version=match.group("version") if match else None,
            exec_time_ms_median=self.exec_time_ms_median(),
        )
