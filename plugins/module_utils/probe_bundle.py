# -*- coding: utf-8 -*-
# Copyright: ecss.callapi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logic of ``ecss.callapi.probe_bundle``: the probe's answers as files in a directory of their own.

The directory is created with mode 0700.  One that exists must be dedicated to the bundle: a
real directory (no symbolic link) of the user who runs the module, writable by nobody else (no
group or world write bit, no sticky bit), holding nothing but bundle files.  Anything else is
refused before a file is written, and never re-moded; a dedicated one is tightened to 0700.

Files are written 0600 through a temporary file and a rename, every name resolved relative to
the directory opened without following a symbolic link; a file that a new bundle does not hold
any more is removed, so the directory always holds one probe run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import errno
import json
import os
import re
import stat

MANIFEST = "commands.yml"
CAPABILITIES = "capabilities.yml"
# One answer per file, named after the command as the unit tests' fixtures are.
ANSWER_FILE_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9.@_-]*\.txt\Z")
_TEMP_PREFIX = ".probe-bundle-"
_TEMP_FILE_RE = re.compile(r"\A\.probe-bundle-[0-9a-f]+\.tmp\Z")
SHOWN_ENTRIES = 5
HEADER = """\
# ecss.callapi probe bundle (playbooks/probe.yml), format %d. One file per command below: what
# CoCon printed, footer and line ends as received, API keys and passwords replaced by
# <redacted:first 8 hex digits of their SHA-256>. docs/real-console.md says what to send back.
"""
FORMAT = 1


class BundleError(Exception):
    """The directory cannot hold the bundle (nothing was written)."""


def answer_file_name(command):
    """The file of one command's answer: the unit tests' fixture name (``cocon_fake.fixture_name``)."""
    return re.sub(r"[^A-Za-z0-9.@-]+", "_", command.strip("/ ")).strip("_") + ".txt"


def is_bundle_file(name):
    return name in (MANIFEST, CAPABILITIES) or bool(ANSWER_FILE_RE.match(name) or _TEMP_FILE_RE.match(name))


# -- a small YAML writer: the files stay readable, and the module needs no YAML library ------------
def _scalar(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(_scalar(item) for item in value)
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s: %s" % (_scalar(str(k)), _scalar(v)) for k, v in value.items())
    # A JSON string is a YAML double-quoted scalar.
    return json.dumps(str(value), ensure_ascii=False)


def yaml_mapping(items, indent=""):
    """``key: value`` lines for ``[(key, value)]``; a list of dicts becomes a block sequence."""
    lines = []
    for key, value in items:
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            lines.append("%s%s:" % (indent, key))
            for item in value:
                entry = yaml_mapping(list(item.items()), indent + "    ").split("\n")
                lines.append(indent + "  - " + entry[0].lstrip())
                lines.extend(entry[1:])
        else:
            lines.append("%s%s: %s" % (indent, key, _scalar(value)))
    return "\n".join(lines)


def bundle_files(results, facts, now=None):
    """``{file name: text}`` of a bundle: one file per answer, the manifest, capabilities.yml."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    files = {}
    entries = []
    for result in results:
        name = answer_file_name(result["command"])
        if name in files:
            raise BundleError("two commands would share the file %s: %s" % (name, result["command"]))
        files[name] = result.get("output") or ""
        entries.append(dict(command=result["command"], file=name, status=result.get("status"),
                            words=result.get("words")))
    files[MANIFEST] = HEADER % FORMAT + yaml_mapping([
        ("format", FORMAT),
        ("generated_at", now.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("commands", entries),
    ]) + "\n"
    files[CAPABILITIES] = capabilities_text(facts or {})
    return files


def capabilities_text(facts):
    """capabilities.yml: what cocon_facts found, ``number_ranges`` first; why it found nothing when it failed."""
    capabilities = dict(facts.get("cocon_capabilities") or {})
    items = [("number_ranges", capabilities.pop("number_ranges", None))]
    items.extend(sorted(capabilities.items()))
    for key in ("domain", "domains", "notes"):
        if key in facts:
            items.append((key, facts[key]))
    if not facts.get("cocon_capabilities"):
        items.append(("cocon_facts_failed", facts.get("msg") or "cocon_facts did not run"))
    return ("# What ecss.callapi.cocon_facts found on this console; docs/real-console.md explains each key.\n"
            + yaml_mapping(items) + "\n")


# -- the directory ---------------------------------------------------------------------------------
def _describe_mode(mode):
    return "%04o" % stat.S_IMODE(mode)


def _foreign_entries(fd, uid):
    foreign = []
    for name in sorted(os.listdir(fd)):
        info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if not (stat.S_ISREG(info.st_mode) and info.st_uid == uid and is_bundle_file(name)):
            foreign.append(name if name.isprintable() else repr(name))
    return foreign


def directory_problems(fd, path):
    """Why the open directory ``fd`` is not dedicated to the bundle (empty when it is)."""
    info = os.fstat(fd)
    uid = os.geteuid()
    problems = []
    if info.st_uid != uid:
        problems.append("it belongs to uid %d, not to uid %d who runs the probe" % (info.st_uid, uid))
    if info.st_mode & stat.S_ISVTX:
        problems.append("it has the sticky bit (mode %s): a shared directory" % _describe_mode(info.st_mode))
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        writers = "everyone" if info.st_mode & stat.S_IWOTH else "its group"
        problems.append("it is writable by %s (mode %s)" % (writers, _describe_mode(info.st_mode)))
    foreign = _foreign_entries(fd, uid)
    if foreign:
        problems.append("it holds %d entr%s that %s not probe bundle files: %s%s" % (
            len(foreign), "y" if len(foreign) == 1 else "ies", "is" if len(foreign) == 1 else "are",
            ", ".join(foreign[:SHOWN_ENTRIES]), ", ..." if len(foreign) > SHOWN_ENTRIES else ""))
    return problems


def _refuse(path, problems):
    raise BundleError("%s is not a directory dedicated to the probe bundle: %s. Nothing was written and the "
                      "directory was left as it is; give a path that does not exist yet (it is created with mode "
                      "0700) or an empty directory of your own" % (path, "; ".join(problems)))


def _creatable_problem(path):
    parent = os.path.dirname(path)
    while parent and not os.path.lexists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        return "%s cannot be created: %s is not a directory" % (path, parent)
    if not os.access(parent, os.W_OK | os.X_OK):
        return "%s cannot be created: %s is not writable" % (path, parent)
    return None


def open_directory(path, create):
    """``(fd, created)`` of the bundle directory, checked; ``(None, False)`` when it does not exist
    and ``create`` is false (check mode).  Raises BundleError when it may not hold the bundle."""
    if not os.path.isabs(path):
        raise BundleError("%s is not an absolute path" % path)
    created = False
    try:
        info = os.lstat(path)
    except OSError as exc:
        if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
            raise BundleError("%s cannot be inspected: %s" % (path, exc.strerror))
        problem = _creatable_problem(path)
        if problem:
            raise BundleError(problem)
        if not create:
            return None, False
        parent = os.path.dirname(path)
        if not os.path.isdir(parent):
            os.makedirs(parent, 0o700)
        try:
            os.mkdir(path, 0o700)
            created = True
        except OSError as exc:  # someone made it meanwhile: it is checked like any existing one
            if exc.errno != errno.EEXIST:
                raise BundleError("%s cannot be created: %s" % (path, exc.strerror))
        info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        _refuse(path, ["it is a symbolic link (to %s)" % os.readlink(path)])
    if not stat.S_ISDIR(info.st_mode):
        _refuse(path, ["it is not a directory"])
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        raise BundleError("%s cannot be opened: %s" % (path, exc.strerror))
    try:
        problems = directory_problems(fd, path)
    except OSError as exc:
        os.close(fd)
        raise BundleError("%s cannot be listed: %s" % (path, exc.strerror))
    if problems:
        os.close(fd)
        _refuse(path, problems)
    return fd, created


def _read(fd, name):
    try:
        handle = os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=fd)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    with os.fdopen(handle, "rb") as stream:
        return stream.read()


def _write(fd, name, data):
    """Write ``data`` to ``name`` (0600) unless it holds it already; True when it was written."""
    info = None
    try:
        info = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise
    if info is not None and stat.S_IMODE(info.st_mode) == 0o600 and _read(fd, name) == data:
        return False
    temp = "%s%s.tmp" % (_TEMP_PREFIX, os.urandom(8).hex())
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=fd)
    try:
        os.fchmod(handle, 0o600)
        written = 0
        while written < len(data):
            written += os.write(handle, data[written:])
        os.fsync(handle)
    except BaseException:
        os.close(handle)
        os.unlink(temp, dir_fd=fd)
        raise
    os.close(handle)
    os.replace(temp, name, src_dir_fd=fd, dst_dir_fd=fd)
    return True


def write_bundle(path, files, check_mode=False):
    """Check the directory, then (outside check mode) write ``files`` and remove the bundle files
    of an earlier run.  Returns the module's result."""
    fd, created = open_directory(path, create=not check_mode)
    if fd is None:
        return dict(changed=True, path=path, files=sorted(files), removed=[], created=True)
    try:
        existing = [name for name in os.listdir(fd) if is_bundle_file(name)]
        stale = sorted(name for name in existing if name not in files)
        mode = stat.S_IMODE(os.fstat(fd).st_mode)
        result = dict(path=path, files=sorted(files), removed=[n for n in stale if not _TEMP_FILE_RE.match(n)],
                      created=created)
        if check_mode:
            result["changed"] = bool(result["removed"]) or mode != 0o700 or any(
                _read(fd, name) != text.encode("utf-8") for name, text in files.items())
            return result
        changed = created or mode != 0o700
        if mode != 0o700:
            os.fchmod(fd, 0o700)
        for name in sorted(files):
            changed = _write(fd, name, files[name].encode("utf-8")) or changed
        for name in stale:
            os.unlink(name, dir_fd=fd)
            changed = changed or not _TEMP_FILE_RE.match(name)
        result["changed"] = changed
        return result
    finally:
        os.close(fd)
