#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: csta
short_description: Ensure CSTA is enabled (and its parameters set) on ECSS-10
version_added: 0.1.0
description:
  - Without CSTA the amoCRM widget does not show calls that were not started from amoCRM.
  - Reads the CSTA parameters with C(/api/csta/info), compares the parsed values with the wanted
    ones and sends C(/api/csta/set <field> <value>) only for those that differ.
  - The layout of C(/api/csta/info) is not confirmed for every release. When the console does not
    know that command, the module sends the C(set) commands unconditionally, reports C(changed)
    and warns that it could not read the state.
author:
  - ecss.callapi contributors (@ecss)
extends_documentation_fragment:
  - ecss.callapi.cocon
attributes:
  check_mode:
    support: full
    description: Only C(/api/csta/info) is sent; O(ignore:commands) lists the C(set) commands that would be sent.
  diff_mode:
    support: full
    description: Shows the parameters that change.
options:
  enabled:
    description:
      - Whether CSTA is enabled.
    type: bool
    default: true
  parameters:
    description:
      - Other CSTA parameters to ensure, by their CoCon names, for example C(tcp_port), C(ssl_port),
        C(use_ssl), C(use_tcp), C(tcp_ip), C(ssl_ip).
      - Booleans become C(true)/C(false), lists C([a,b]).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Enable CSTA (the widget shows calls started outside amoCRM too)
  ecss.callapi.csta:
    enabled: true

- name: Enable CSTA over TLS only
  ecss.callapi.csta:
    enabled: true
    parameters:
      use_ssl: true
      use_tcp: false
      ssl_port: 4722
"""

RETURN = r"""
before:
  description: CSTA parameters read before the change (empty when C(/api/csta/info) is not available).
  returned: always
  type: dict
  sample: {enabled: "false", tcp_port: "4721", use_ssl: "true"}
after:
  description: CSTA parameters after the change (in check mode, as they would be).
  returned: always
  type: dict
  sample: {enabled: "true", tcp_port: "4721", use_ssl: "true"}
commands:
  description: The C(set) commands sent (in check mode, that would be sent).
  returned: always
  type: list
  elements: str
  sample: ["/api/csta/set enabled true"]
"""

import ipaddress

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_client import (
    CoconCommandError,
    CoconLockedError,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_module import (
    cocon_argument_spec,
    run_cocon_module,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_parsers import parse_parameters
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import (
    CoconInputError,
    check_identifier,
    check_port,
)


# [doc] CSTA parameters of ECSS-10 3.14 and their types.
CSTA_FIELD_KINDS = {
    "enabled": "bool", "use_ssl": "bool", "use_tcp": "bool",
    "tcp_port": "port", "ssl_port": "port",
    "tcp_ip": "ip", "ssl_ip": "ip",
    "auth": "list",
}


def cocon_value(value):
    """How CoCon prints (and takes) a parameter value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[%s]" % ",".join(cocon_value(item) for item in value)
    return str(value)


def normalized(value):
    return value.strip().replace(" ", "").lower() if isinstance(value, str) else value


def checked_value(field, value):
    """A known CSTA field's value must have the field's type; others must at least be one safe token."""
    option = "parameters.%s" % field
    kind = CSTA_FIELD_KINDS.get(field)
    if kind == "bool":
        if isinstance(value, bool) or str(value).lower() in ("true", "false"):
            return cocon_value(value).lower()
        raise CoconInputError("%s must be true or false, got %r" % (option, value))
    if kind == "port":
        return str(check_port(value, option))
    if kind == "ip":
        try:
            return str(ipaddress.ip_address(str(value)))
        except ValueError:
            raise CoconInputError("%s must be an IP address, got %r" % (option, value))
    if kind == "list":
        if not isinstance(value, (list, tuple)):
            raise CoconInputError("%s must be a list, got %r" % (option, value))
        return check_identifier("value", cocon_value(value), option)
    return check_identifier("value", cocon_value(value), option)


def wanted_parameters(params):
    wanted = {"enabled": cocon_value(params["enabled"])}
    for field, value in sorted(params["parameters"].items()):
        if field == "enabled":
            raise CoconInputError("set 'enabled' with the enabled option, not in parameters")
        wanted[check_identifier("csta_field", field, "parameters key")] = checked_value(field, value)
    return wanted


def main():
    argument_spec = cocon_argument_spec()
    argument_spec.update(
        enabled=dict(type="bool", default=True),
        parameters=dict(type="dict", default={}),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        wanted = wanted_parameters(module.params)
    except CoconInputError as exc:
        module.fail_json(msg=str(exc))

    def work(client, commands):
        try:
            before = parse_parameters(client.run("/api/csta/info").output)
        except CoconCommandError as exc:
            # Only a console without the (unconfirmed) info command is worked around; a lock or
            # any other refusal stops the task.
            if isinstance(exc, CoconLockedError) or "There is no such command" not in str(exc):
                raise
            module.warn("could not read the CSTA state (%s); setting every wanted parameter unconditionally" % exc)
            before = None
        current = before or {}
        unknown = [field for field in wanted if before and field not in before]
        if unknown:
            module.fail_json(msg="CSTA has no parameter(s) %s; it has: %s" % (
                ", ".join(unknown), ", ".join(sorted(before))), before=before)
        changes = dict((field, value) for field, value in wanted.items()
                       if before is None or normalized(current.get(field)) != normalized(value))
        for field, value in sorted(changes.items()):
            commands.append("/api/csta/set %s %s" % (field, value))
        if not module.check_mode:
            for command in commands:
                output = client.run(command).output
                if "successfully changed" not in output:
                    module.warn("CoCon did not confirm %r with 'successfully changed'" % command)
        after = dict(current, **changes)
        if changes and not module.check_mode and before is not None:
            after = parse_parameters(client.run("/api/csta/info").output)
        return dict(
            changed=bool(changes),
            before=current,
            after=after,
            diff=dict(before=dict((f, current.get(f)) for f in changes), after=changes),
        )

    run_cocon_module(module, work)


if __name__ == "__main__":
    main()
