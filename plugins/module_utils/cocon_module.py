# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every CoCon module shares: the connection options, one run's connections, and exiting.

A module's ``main()`` builds its argument spec and hands a logic function of the
``cocon_*`` module_utils to :func:`run_cocon_module`.  The logic gets a :class:`CoconTask`
(``read``, ``change``, ``pool``, ``check_mode``) and the module's parameters, returns the
result dict or raises; everything a failed run must still report (``changed`` for what was
done, ``commands`` sent, the ``capabilities`` used) is added here, once.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_capabilities import CoconCapabilities
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_client import (
    EXEC_MODES,
    HOST_KEY_POLICIES,
    PARAMIKO_IMPORT_ERROR,
    CoconClient,
)
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import CoconError
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_pool import MAX_CONNECTIONS, CoconPool
from ansible_collections.ecss.callapi.plugins.module_utils.cocon_validation import (
    CoconInputError,
    check_path,
    check_port,
)


def cocon_argument_spec(**module_options):
    """Connection options of every module in the ``cocon`` action group (doc fragment ``ecss.callapi.cocon``)."""
    spec = dict(
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
        cocon_capabilities=dict(type="dict"),
    )
    spec.update(module_options)
    return spec


def alias_batch_argument_spec(**module_options):
    """Connection options plus the batch options of doc fragment ``ecss.callapi.cocon.alias_batch``."""
    return cocon_argument_spec(
        domain=dict(type="str", required=True),
        aliases=dict(type="list", elements="raw", required=True),
        group=dict(type="str"),
        use_ranges=dict(type="bool", default=True),
        parallel_connections=dict(type="int", default=8),
        **module_options
    )


def client_from_params(params, capabilities):
    """A :class:`CoconClient` for the connection options; bad options raise CoconInputError."""
    if params["cocon_password"] is None:
        raise CoconInputError("cocon_password is required (or set the ECSS_COCON_PASSWORD environment variable)")
    port = check_port(params["cocon_port"], "cocon_port")
    known_hosts = check_path(params["cocon_known_hosts"], "cocon_known_hosts")
    if params["cocon_timeout"] <= 0:
        raise CoconInputError("cocon_timeout must be a positive number of seconds")
    if not 0 <= params["cocon_locked_retries"] <= 50:
        raise CoconInputError("cocon_locked_retries must be from 0 to 50")
    return CoconClient(
        host=params["cocon_host"], port=port, user=params["cocon_user"],
        password=params["cocon_password"], timeout=params["cocon_timeout"],
        known_hosts=known_hosts, host_key_policy=params["cocon_host_key_policy"],
        exec_mode=params["cocon_exec_mode"], locked_retries=params["cocon_locked_retries"],
        capabilities=capabilities,
    )


class TaskFailed(Exception):
    """A logic function's failure with the result fields it must carry (``changed_aliases``...)."""

    def __init__(self, msg, **result):
        super(TaskFailed, self).__init__(msg)
        self.result = result


class CoconTask(object):
    """One module run: its connection (more through :meth:`pool`), what the console was seen to
    do (``capabilities``), the mutating commands sent (``commands``) and whether any took effect."""

    def __init__(self, params, check_mode=False):
        self.params = params
        self.check_mode = check_mode
        self.capabilities = CoconCapabilities.from_option(params.get("cocon_capabilities"))
        self.client = self.new_client()
        self.commands = []
        self.changed = False
        self._pools = []

    def new_client(self):
        return client_from_params(self.params, self.capabilities)

    def close(self):
        for pool in self._pools:
            pool.close()
        self.client.close()

    def read(self, command):
        """Run a command that only reads (sent in check mode too)."""
        return self.client.run(command)

    def change(self, command):
        """Record a mutating command and, outside check mode, run it; ``changed`` once it worked."""
        self.commands.append(command)
        if self.check_mode:
            return None
        result = self.client.run(command)
        self.changed = True
        return result

    def pool(self, size):
        """A :class:`CoconPool` of up to ``size`` connections, this task's own connection first."""
        if not 1 <= size <= MAX_CONNECTIONS:
            raise CoconInputError("parallel_connections must be from 1 to %d, got %d" % (MAX_CONNECTIONS, size))
        pool = CoconPool(self.client, self.new_client, size)
        self._pools.append(pool)
        return pool


def run_cocon_module(module, logic):
    """Run ``logic(task, params)`` and exit the module with its result (or its failure).

    Every exit carries ``commands`` and ``capabilities``; a failure carries ``changed`` for
    what took effect before it, and the failed command.  ``diff`` only when asked for.
    """
    if PARAMIKO_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("paramiko"), exception=PARAMIKO_IMPORT_ERROR)
    try:
        task = CoconTask(module.params, module.check_mode)
    except CoconInputError as exc:
        module.fail_json(msg=str(exc))
    failure = None
    try:
        result = logic(task, module.params)
    except CoconInputError as exc:
        failure = dict(msg=str(exc))
    except TaskFailed as exc:
        failure = dict(exc.result, msg=str(exc))
    except CoconError as exc:
        failure = dict(msg=str(exc), failed_command=exc.command)
    finally:
        task.close()
        for warning in task.capabilities.take_warnings():
            module.warn(warning)
    common = dict(commands=task.commands, capabilities=task.capabilities.as_dict())
    if failure is not None:
        failure.setdefault("changed", task.changed)
        failure.update(common)
        module.fail_json(**failure)
    result.setdefault("changed", task.changed)
    result.update(common)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


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
