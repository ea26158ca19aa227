# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r"""
options:
  cocon_host:
    description:
      - Address of an ECSS-10 node that serves the CoCon console. One node manages the whole cluster.
      - If not set, the environment variable E(ECSS_COCON_HOST) is used.
    type: str
    default: 127.0.0.1
  cocon_port:
    description:
      - SSH port of the CoCon console, 1 to 65535 (a number, or a string of ASCII digits).
      - If not set, the environment variable E(ECSS_COCON_PORT) is used.
    type: raw
    default: 8023
  cocon_user:
    description:
      - CoCon user name.
      - If not set, the environment variable E(ECSS_COCON_USER) is used.
    type: str
    default: admin
  cocon_password:
    description:
      - Password of O(cocon_user). Required, here or in the environment variable E(ECSS_COCON_PASSWORD).
      - Never logged; it travels only inside the SSH session, never on a command line.
    type: str
  cocon_timeout:
    description:
      - Seconds to wait for the connection and for each command's answer.
      - If not set, the environment variable E(ECSS_COCON_TIMEOUT) is used.
    type: float
    default: 30
  cocon_known_hosts:
    description:
      - OpenSSH C(known_hosts) file that holds the console's host key, as C([host]:port keytype key).
      - With O(cocon_host_key_policy=accept-new) the module appends to it, so it must be a plain path
        (ASCII letters, digits and C(. _ / @ + ~ , -), no C(..) segment).
      - If not set, the environment variable E(ECSS_COCON_KNOWN_HOSTS) is used.
    type: path
    default: ~/.ssh/known_hosts
  cocon_host_key_policy:
    description:
      - V(strict) fails on a host key that is not in O(cocon_known_hosts).
      - V(accept-new) records an unknown host key in O(cocon_known_hosts) and goes on, with a warning.
      - Either way a host key that differs from the recorded one fails the task.
      - If not set, the environment variable E(ECSS_COCON_HOST_KEY_POLICY) is used.
    type: str
    choices: [strict, accept-new]
    default: strict
  cocon_exec_mode:
    description:
      - How commands reach the console.
      - V(auto) runs every command on its own exec channel of one SSH connection. Several exec channels
        on one connection are not confirmed on a real ECSS-10, so the first time a second channel is
        needed it asks C(/domain/list) on it with a short timeout (at least 1 second, 5 times the
        slowest answer so far). A channel that is refused, closed without an answer or left unanswered
        makes the run stop using second channels, by itself, with a warning. A command that met a
        refused or closed channel never ran, and is sent again; a command that is not answered within
        O(cocon_timeout) is never sent again (it may still run).
      - After that fallback each connection opens one interactive console session as the first channel of
        a fresh SSH connection and sends its commands through it one by one (one login per connection,
        not per command). The session is tested once per run, with a timeout of at least 5 seconds
        (5 times the slowest answer so far); it must show a prompt and answer C(/domain/list) with its
        footer and the next prompt. A session that is refused, closed, silent or answers without a
        footer makes the run go on with one SSH connection per command, with a warning. A command written to a session whose answer does not come back is
        never sent again.
      - V(channels) is V(auto) without the test and the fallback.
      - V(connection_per_command) opens one SSH connection per command, as public ECSS-10 scripts do.
      - V(shell) sends the commands line by line through one interactive console session per connection,
        without the tests.
      - If not set, the environment variable E(ECSS_COCON_EXEC_MODE) is used.
    type: str
    choices: [auto, channels, connection_per_command, shell]
    default: auto
  cocon_locked_retries:
    description:
      - How many times a command answered with C(temporary locked) (another session holds the
        configuration lock) is retried, after a short random pause, before the task fails.
    type: int
    default: 5
  cocon_capabilities:
    description:
      - What the console is known to do, as M(ecss.callapi.cocon_facts) returns it in
        RV(ecss.callapi.cocon_facts#module:cocon_capabilities); hand it to every module through
        C(module_defaults) so that no module tests the console again.
      - Used keys are C(number_ranges) (with C(number_ranges_tested)), C(alias_set_ranges),
        C(exec_channels_per_connection) (V(many) or V(one)), C(interactive_shell) (whether the interactive
        session carries the commands where exec channels are one per connection), C(csta_info_layout) and
        C(alias_info_layout) (V(table), V(lines), V(absent) or V(unknown)); other keys are ignored.
        A key that is null or missing is found out by the module itself, as without this option.
      - M(ecss.callapi.cocon_facts) ignores this option; it always tests.
    type: dict
requirements:
  - paramiko >= 2.9 on the host that runs the module (normally the controller).
notes:
  - All CoCon modules belong to the action group C(ecss.callapi.cocon), so
    C(module_defaults) with C(group/ecss.callapi.cocon) sets the connection options once.
  - Every identifier that ends up on a CoCon command line is checked before anything is sent;
    whitespace, quotes, C(;), newlines and control characters are rejected.
  - "Output is parsed from the shapes documented for ECSS-10 releases 2019 to 3.14, footer
    C([exec at: ...]) included. A command that answers with a failure marker
    (C(There is no such command:), C(Command error:), C(Invalid command's arguments:)) fails the task
    with CoCon's own words, unless the module documents what it does instead; C(temporary locked)
    is retried."
  - Every CoCon module returns RV(capabilities), what it found out about the console (or was handed
    in O(cocon_capabilities)), in the shape of M(ecss.callapi.cocon_facts)' RV(ecss.callapi.cocon_facts#module:cocon_capabilities).
  - A module that fails after changing something reports C(changed=true) and, in RV(commands), the
    mutating commands it sent.
"""

    # The batch options of the modules that work through many aliases at once
    # (ecss.callapi.alias_property, ecss.callapi.subscriber_info).
    ALIAS_BATCH = r"""
options:
  domain:
    description: ECSS-10 domain (virtual PBX) name.
    type: str
    required: true
  aliases:
    description:
      - The aliases (subscriber numbers). Each is a number as a string (C("240473"); a YAML integer or
        float is refused, quote it), which uses O(group) and the interface C(<number>@<domain>), or a
        dict with C(alias), and optionally C(group) and C(iface).
    type: list
    elements: raw
    required: true
  group:
    description: Interface group (the SIP user group the subscribers were declared in, e.g. C(loc.gr)) for aliases that do not name their own.
    type: str
  use_ranges:
    description:
      - Read runs of consecutive numbers with one ECSS range command each, once the console proved
        that it reads them (every member shown on its own; see M(ecss.callapi.alias_property)).
        V(false) never sends a range.
      - With O(cocon_capabilities) from M(ecss.callapi.cocon_facts) the range test is not repeated.
    type: bool
    default: true
  parallel_connections:
    description:
      - At most this many SSH connections (1 to 16) work through the per-alias commands at the same time.
      - While commands share one connection (its exec channels, or its interactive session after the
        fallback of O(cocon_exec_mode=auto)), one connection is added per 48 pending commands, so small
        runs stay on one connection and in order. When the console serves one command per connection and
        no interactive session, every command logs in anyway and up to this many run at once. The plan is
        made again after every fallback.
    type: int
    default: 8
"""
