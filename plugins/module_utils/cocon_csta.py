# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of ``ecss.callapi.csta``: read the CSTA parameters, set the ones that differ.

The reading command ``/api/csta/info`` and its layout are a [guess]; ``/api/csta/set`` is
[seen].  When the state cannot be read (no such command, or an answer in no layout this
collection reads) every wanted parameter is set and the task reports ``changed``: it never
says "unchanged" without having seen the value.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import CoconUnknownCommandError
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import (
    normalized,
    parse_parameters,
    set_confirmed,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import (
    CoconInputError,
    check_identifier,
    check_port,
    cocon_value,
)

CSTA_INFO = "/api/csta/info"
CSTA_SET = "/api/csta/set %s %s"

# [doc] CSTA parameters of ECSS-10 3.14 and their types.
CSTA_FIELD_KINDS = {
    "enabled": "bool", "use_ssl": "bool", "use_tcp": "bool",
    "tcp_port": "port", "ssl_port": "port",
    "tcp_ip": "ip", "ssl_ip": "ip",
    "auth": "list",
}


def checked_value(field, value):
    """A known CSTA field's value must have the field's type; others must at least be one safe token."""
    option = "parameters.%s" % field
    kind = CSTA_FIELD_KINDS.get(field)
    if kind == "bool":
        if isinstance(value, bool) or str(value).lower() in ("true", "false"):
            return cocon_value(value)
        raise CoconInputError("%s must be true or false, got %r" % (option, value))
    if kind == "port":
        return str(check_port(value, option))
    if kind == "ip":
        return check_identifier("ip", value, option)
    if kind == "list" and not isinstance(value, (list, tuple)):
        raise CoconInputError("%s must be a list, got %r" % (option, value))
    return check_identifier("value", cocon_value(value), option)


def wanted_parameters(params):
    """``{field: value as CoCon takes it}`` from the ``enabled`` and ``parameters`` options."""
    wanted = {"enabled": cocon_value(params["enabled"])}
    for field, value in sorted((params["parameters"] or {}).items()):
        if field == "enabled":
            raise CoconInputError("set 'enabled' with the enabled option, not in parameters")
        wanted[check_identifier("csta_field", field, "parameters key")] = checked_value(field, value)
    return wanted


def read_csta(task):
    """The CSTA parameters as ``/api/csta/info`` shows them, or None when they cannot be read."""
    capabilities = task.capabilities
    if capabilities.csta_info_layout == "absent":
        capabilities.warn("this console has no %s (cocon_capabilities): the CSTA state cannot be read, so every "
                          "wanted parameter is set and the task reports changed" % CSTA_INFO)
        return None
    try:
        result = task.read(CSTA_INFO)
    except CoconUnknownCommandError as exc:
        capabilities.learn("csta_info_layout", "absent")
        capabilities.warn("could not read the CSTA state (%s); every wanted parameter is set and the task "
                          "reports changed" % exc.words)
        return None
    layout, parameters = parse_parameters(result.output)
    if layout in ("table", "lines"):
        capabilities.learn("csta_info_layout", layout)
        return parameters
    capabilities.learn("csta_info_layout", "unknown")
    capabilities.warn("%s answered in a layout this collection does not read (neither a table nor 'name: value' "
                      "lines); every wanted parameter is set and the task reports changed" % CSTA_INFO)
    return None


def ensure_csta(task, params):
    wanted = wanted_parameters(params)
    before = read_csta(task)
    current = before or {}
    if before is not None:
        unknown = [field for field in wanted if field not in before and field not in CSTA_FIELD_KINDS]
        if unknown:
            raise CoconInputError("CSTA has no parameter(s) %s; it has: %s"
                                  % (", ".join(unknown), ", ".join(sorted(before))))
        unseen = [field for field in wanted if field not in before]
        if unseen:
            task.capabilities.warn("%s does not show %s; set without knowing the current value"
                                   % (CSTA_INFO, ", ".join(unseen)))
    changes = dict((field, value) for field, value in wanted.items()
                   if field not in current or normalized(current[field]) != normalized(value))
    for field, value in sorted(changes.items()):
        result = task.change(CSTA_SET % (field, value))
        if result is not None and not set_confirmed(result.output):
            task.capabilities.warn("CoCon did not confirm %r as changed" % result.command)
    after = dict(current, **changes)
    if changes and not task.check_mode and before is not None:
        after = read_csta(task) or after
    return dict(
        changed=bool(changes),
        before=current,
        after=after,
        diff=dict(before=dict((field, current.get(field)) for field in changes), after=changes),
    )
