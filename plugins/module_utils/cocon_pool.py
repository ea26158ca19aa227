# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several CoCon connections working through one list of commands at once.

No Ansible here: warnings go to the clients' shared :class:`CoconCapabilities` and the module
shows them from its own thread.  Several CoCon sessions at once are normal ([doc]: CoCon keeps
per-session configuration locks), so long runs of independent commands (one ``alias/info`` or
``alias/set`` per subscriber) are spread over up to ``size`` connections.

How many connections work is planned from the work left and re-planned after every answer:
on channels, or through an interactive session after the fallback, an extra connection (key
exchange, login) costs about as much as a few commands, so one is added per
``COMMANDS_PER_EXTRA_CONNECTION`` pending commands; once the console is known to serve one
command per connection and no session every command pays a login anyway, so every pending
command may have its own worker, up to ``size``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_errors import (
    CoconCommandError,
    CoconError,
    CoconLockedError,
)

COMMANDS_PER_EXTRA_CONNECTION = 48
MAX_CONNECTIONS = 16


class CoconPool(object):
    """Up to ``size`` connections: ``client`` (the module's own) plus clients made by ``client_factory``.

    The extra clients stay logged in between :meth:`run` calls (a read phase, then a write
    phase) and are closed by :meth:`close`.
    """

    def __init__(self, client, client_factory, size):
        if not 1 <= size <= MAX_CONNECTIONS:
            raise ValueError("a pool holds 1 to %d connections, not %r" % (MAX_CONNECTIONS, size))
        self.client = client
        self.client_factory = client_factory
        self.size = size
        self._idle = []
        self._opened = []
        self._lock = threading.Lock()
        self._reset([])

    def _reset(self, commands):
        self._commands = list(commands)
        self._next = 0
        self._workers = 0
        self._threads = []
        self._error = None
        self._answers = [None] * len(commands)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        for client in self._opened:
            client.close()
        self._opened = []
        self._idle = []

    # -- planning ----------------------------------------------------------------------------
    def wanted_workers(self, pending):
        """How many connections ``pending`` commands deserve (never fewer than one)."""
        if self.client.per_command:
            return max(1, min(self.size, pending))
        return max(1, min(self.size, pending // COMMANDS_PER_EXTRA_CONNECTION))

    def _grow(self):
        """Start workers while the work left deserves more (called under the lock)."""
        pending = len(self._commands) - self._next
        while self._error is None and self._workers < self.wanted_workers(pending) and self._workers < pending \
                and self.client.connections_opened:
            self._workers += 1
            thread = threading.Thread(target=self._extra_worker)
            thread.daemon = True
            self._threads.append(thread)
            thread.start()

    # -- running -----------------------------------------------------------------------------
    def run(self, commands, on_send=None, on_answer=None, collect_command_errors=False):
        """Send every command; return, in order, each one's :class:`CoconResult` (or its error).

        ``on_send(index, command)`` runs just before a command is sent and ``on_answer(index,
        command, answer)`` as each answer arrives; both under the pool's lock, so they may keep
        shared lists.  With several connections answers arrive out of order.
        ``collect_command_errors``: a :class:`CoconCommandError` (CoCon said no to that command)
        becomes that command's answer; otherwise it stops the run.  Any other error (connection,
        timeout, lock held through every retry, or one raised by ``on_answer``) stops every
        connection: the ones at work finish their command, then the first error is raised.
        """
        with self._lock:
            self._reset(commands)
            self._on_send, self._on_answer = on_send, on_answer
            self._collect = collect_command_errors
            self._workers = 1
            self._grow()
        self._work(self.client)
        for thread in list(self._threads):
            thread.join()
        if self._error is not None:
            raise self._error
        return list(self._answers)

    def read(self, commands, parse=None):
        """Answers to read-only ``commands``, in order: ``parse(result)`` (the result itself without
        ``parse``), or the :class:`CoconCommandError` CoCon answered that command with."""
        answers = self.run(commands, collect_command_errors=True)
        return [answer if parse is None or isinstance(answer, CoconError) else parse(answer) for answer in answers]

    def _extra_worker(self):
        with self._lock:
            client = self._idle.pop() if self._idle else None
        try:
            if client is None:
                client = self.client_factory()
                with self._lock:
                    self._opened.append(client)
                if not client.per_command:
                    try:
                        client.connect()
                    except CoconError as exc:
                        with self._lock:
                            self.size = max(1, self.size - 1)  # the console said how many it takes
                        client.capabilities.warn("could not open another connection to CoCon (%s); "
                                                 "continuing with fewer" % exc)
                        client = None
                        return
            self._work(client)
        finally:
            with self._lock:
                self._workers -= 1
                if client is not None:
                    self._idle.append(client)

    def _work(self, client):
        while True:
            with self._lock:
                if self._error is not None or self._next >= len(self._commands):
                    return
                index = self._next
                self._next += 1
                command = self._commands[index]
                if self._on_send:
                    self._on_send(index, command)
            try:
                answer = client.run(command)
            except CoconLockedError as exc:
                return self._stop(exc)
            except CoconCommandError as exc:
                if not self._collect:
                    return self._stop(exc)
                answer = exc
            except Exception as exc:  # raised again by run() in the caller's thread
                return self._stop(exc)
            with self._lock:
                self._answers[index] = answer
                if self._on_answer:
                    try:
                        self._on_answer(index, command, answer)
                    except Exception as exc:
                        self._error = self._error or exc
                        return
                self._grow()

    def _stop(self, error):
        with self._lock:
            if self._error is None:
                self._error = error
