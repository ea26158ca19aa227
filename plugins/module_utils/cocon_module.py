# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every CoCon module shares: the connection options and turning them into a client."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_client import (
    EXEC_MODES,
    HOST_KEY_POLICIES,
    PARAMIKO_IMPORT_ERROR,
    CoconClient,
    CoconError,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import (
    CoconInputError,
    check_identifier,
    check_path,
    check_port,
)


def cocon_argument_spec():
    """Connection options of every module in the ``cocon`` action group (doc fragment ``ecss.callapi.cocon``)."""
    return dict(
        cocon_host=dict(type="str", default="127.0.0.1", fallback=(env_fallback, ["ECSS_COCON_HOST"])),
        # raw, checked by check_port: type=int would take Unicode digits ("８０２３") as a port.
        cocon_port=dict(type="raw", default=8023, fallback=(env_fallback, ["ECSS_COCON_PORT"])),
        cocon_user=dict(type="str", default="admin", fallback=(env_fallback, ["ECSS_COCON_USER"])),
        cocon_password=dict(type="str", no_log=True, fallback=(env_fallback, ["ECSS_COCON_PASSWORD"])),
        cocon_timeout=dict(type="float", default=30.0, fallback=(env_fallback, ["ECSS_COCON_TIMEOUT"])),
        cocon_known_hosts=dict(type="path", default="~/.ssh/known_hosts",
                               fallback=(env_fallback, ["ECSS_COCON_KNOWN_HOSTS"])),
        cocon_host_key_policy=dict(type="str", default="strict", choices=list(HOST_KEY_POLICIES),
                                   fallback=(env_fallback, ["ECSS_COCON_HOST_KEY_POLICY"])),
        cocon_exec_mode=dict(type="str", default="auto", choices=list(EXEC_MODES),
                             fallback=(env_fallback, ["ECSS_COCON_EXEC_MODE"])),
        cocon_locked_retries=dict(type="int", default=5),
    )


def cocon_client(module):
    """A :class:`CoconClient` for the module's connection options (fails the module cleanly)."""
    if PARAMIKO_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("paramiko"), exception=PARAMIKO_IMPORT_ERROR)
    params = module.params
    if params["cocon_password"] is None:
        module.fail_json(msg="cocon_password is required (or set the ECSS_COCON_PASSWORD environment variable)")
    try:
        port = check_port(params["cocon_port"], "cocon_port")
        known_hosts = check_path(params["cocon_known_hosts"], "cocon_known_hosts")
    except CoconInputError as exc:
        module.fail_json(msg=str(exc))
    if params["cocon_timeout"] <= 0:
        module.fail_json(msg="cocon_timeout must be a positive number of seconds")
    if not 0 <= params["cocon_locked_retries"] <= 50:
        module.fail_json(msg="cocon_locked_retries must be from 0 to 50")
    return CoconClient(
        host=params["cocon_host"], port=port, user=params["cocon_user"],
        password=params["cocon_password"], timeout=params["cocon_timeout"],
        known_hosts=known_hosts, host_key_policy=params["cocon_host_key_policy"],
        exec_mode=params["cocon_exec_mode"], locked_retries=params["cocon_locked_retries"],
    )


def validated(module, **checks):
    """``validated(module, domain=("domain", value))`` -> {"domain": value}; fails the module on bad input."""
    values = {}
    try:
        for option, (kind, value) in checks.items():
            values[option] = check_identifier(kind, value, option)
    except CoconInputError as exc:
        module.fail_json(msg=str(exc))
    return values


def key_fingerprint(api_key):
    """Enough of a key to tell two keys apart in a diff or a log, never enough to use it."""
    if not api_key:
        return None
    return "sha256:" + hashlib.sha256(api_key.encode("utf-8")).hexdigest()[:16]


def mask_key(api_key):
    """``2hBq…TKC`` style mask for summaries shown to people."""
    if not api_key:
        return None
    return api_key[:4] + "*" * 8 + api_key[-4:] if len(api_key) > 12 else "*" * len(api_key)


def run_cocon_module(module, work):
    """Connect, run ``work(client, commands)`` and exit the module with its result.

    ``commands`` is the list ``work`` appends every mutating command to (or, in check mode,
    every command it would have sent); it is returned on success and on failure.
    """
    commands = []
    client = cocon_client(module)
    try:
        with client:
            result = work(client, commands)
    except CoconError as exc:
        for warning in client.warnings:
            module.warn(warning)
        module.fail_json(msg=str(exc), commands=commands, failed_command=exc.command)
    for warning in client.warnings:
        module.warn(warning)
    result["commands"] = commands
    module.exit_json(**result)
