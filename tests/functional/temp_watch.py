"""Watch directories during a run and remember every file that ever held a PEM private key.

inotify (through libc, no extra package) reads a file the moment it is written, closed or
moved in; a full walk every few milliseconds catches what a new subdirectory held before
its watch was added. Module arguments travel as JSON inside AnsiballZ wrappers, so a key
there shows up with escaped (or twice escaped) newlines: every form counts.
"""

import ctypes
import os
import re
import select
import struct
import threading
import time

# Header, then (escaped or real) line breaks and base64: a real key, not the word in some source.
PRIVATE_KEY = re.compile(
    rb"-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY)-----(?:\s|\\+[nr])*"
    rb"(?:Proc-Type:.{0,200}?DEK-Info:[^\n\\]*(?:\s|\\+[nr])*)?"
    rb"[A-Za-z0-9+/=]{40}", re.DOTALL)

_IN_MODIFY, _IN_CLOSE_WRITE, _IN_MOVED_TO, _IN_CREATE = 0x2, 0x8, 0x80, 0x100
_IN_ISDIR = 0x40000000
_MASK = _IN_MODIFY | _IN_CLOSE_WRITE | _IN_MOVED_TO | _IN_CREATE
_EVENT = struct.Struct("iIII")


class TempWatch(object):
    """``with TempWatch([dir, ...]) as watch: ...`` then ``watch.findings`` / ``watch.files_seen``."""

    def __init__(self, roots, interval=0.005):
        self.roots = [str(root) for root in roots]
        self.interval = interval
        self.findings = {}        # path -> kind of key ("EC PRIVATE KEY", "PRIVATE KEY", ...)
        self.files_seen = set()
        self.scans = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="temp-watch", daemon=True)
        self._libc = ctypes.CDLL(None, use_errno=True)
        self._fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self._watches = {}
        self._read = {}  # path -> (inode, size, mtime) when last read by the walk

    def __enter__(self):
        for root in self.roots:
            self._watch_tree(root)
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(10)
        for root in self.roots:
            self._scan_tree(root)
        os.close(self._fd)
        return False

    def in_root(self, root):
        """Files seen under one of the watched roots (proof that the run used it)."""
        root = str(root).rstrip("/") + "/"
        return sorted(path for path in self.files_seen if path.startswith(root))

    def _watch_tree(self, top):
        for directory, _dirs, _files in os.walk(top):
            if directory not in self._watches.values():
                wd = self._libc.inotify_add_watch(self._fd, directory.encode(), _MASK)
                if wd >= 0:
                    self._watches[wd] = directory
        self._scan_tree(top)

    def _scan_tree(self, top):
        for directory, _dirs, files in os.walk(top):
            for name in files:
                path = os.path.join(directory, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue
                version = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
                if self._read.get(path) != version:
                    self._read[path] = version
                    self._check(path)

    def _check(self, path):
        self.files_seen.add(path)
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:  # gone already, a directory, a socket
            return
        match = PRIVATE_KEY.search(data)
        if match:
            self.findings.setdefault(path, match.group(1).decode())

    def _run(self):
        next_scan = 0.0
        while not self._stop.is_set():
            readable, _w, _x = select.select([self._fd], [], [], self.interval)
            if readable:
                self._events()
            now = time.monotonic()
            if now >= next_scan:
                for root in self.roots:
                    self._scan_tree(root)
                self.scans += 1
                next_scan = now + 0.01

    def _events(self):
        try:
            buffer = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        offset = 0
        while offset + _EVENT.size <= len(buffer):
            wd, mask, _cookie, length = _EVENT.unpack_from(buffer, offset)
            name = buffer[offset + _EVENT.size:offset + _EVENT.size + length].rstrip(b"\0").decode()
            offset += _EVENT.size + length
            directory = self._watches.get(wd)
            if directory is None or not name:
                continue
            path = os.path.join(directory, name)
            if mask & _IN_ISDIR:
                self._watch_tree(path)
            else:
                self._check(path)
