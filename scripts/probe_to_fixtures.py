"""Turn a probe bundle into console fixtures and run the parser tests on them (scripts/probe-to-fixtures)."""

import argparse
import datetime
import glob
import os
import re
import shutil
import stat
import subprocess
import sys

import yaml

from ansible_collections.ecss.callapi.plugins.module_utils.cocon_redact import find_secrets
from ansible_collections.ecss.callapi.plugins.module_utils.probe_bundle import (
    CAPABILITIES,
    FORMAT,
    MANIFEST,
    answer_file_name,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONSOLES = os.path.join(ROOT, "tests", "unit", "plugins", "modules", "fixtures", "consoles")
TEST = os.path.join(ROOT, "tests", "unit", "plugins", "modules", "test_console_fixtures.py")


def shown(path):
    relative = os.path.relpath(path, ROOT)
    return path if relative.startswith("..") else relative


class BundleProblem(Exception):
    pass


def read_bundle(bundle):
    """``{file name: bytes}`` of a bundle, checked: every command's file, nothing that looks like a secret."""
    def regular(name):
        path = os.path.join(bundle, name)
        info = os.lstat(path) if os.path.lexists(path) else None
        if info is None or not stat.S_ISREG(info.st_mode):
            raise BundleProblem("%s is missing or not a regular file" % path)
        with open(path, "rb") as handle:
            return handle.read()

    files = dict((name, regular(name)) for name in (MANIFEST, CAPABILITIES))
    manifest = yaml.safe_load(files[MANIFEST].decode("utf-8"))
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleProblem("%s is not a probe bundle of format %d (%s)" % (bundle, FORMAT, MANIFEST))
    capabilities = yaml.safe_load(files[CAPABILITIES].decode("utf-8"))
    if not isinstance(capabilities, dict) or "number_ranges" not in capabilities:
        raise BundleProblem("%s/%s has no number_ranges" % (bundle, CAPABILITIES))
    for entry in manifest.get("commands") or []:
        if entry.get("file") != answer_file_name(entry.get("command") or ""):
            raise BundleProblem("%s: the answer to %r is not in %r" % (MANIFEST, entry.get("command"), entry.get("file")))
        files[entry["file"]] = regular(entry["file"])
    for name, data in files.items():
        if find_secrets(data.decode("utf-8", "replace")):
            raise BundleProblem("%s/%s holds something that looks like an API key or a password that was not "
                                "redacted; nothing was written (run the probe again, or redact it by hand)" % (bundle, name))
    return files, capabilities, manifest


def default_name(capabilities, manifest):
    generated = str(manifest.get("generated_at") or datetime.date.today().isoformat())
    parts = [capabilities.get("node") or "console", capabilities.get("version") or "unknown", generated[:10]]
    return re.sub(r"[^A-Za-z0-9.-]+", "_", "-".join(str(part) for part in parts)).strip("_.-")


def convert(bundle, dest, name, force):
    files, capabilities, manifest = read_bundle(bundle)
    name = name or default_name(capabilities, manifest)
    if not re.match(r"\A[A-Za-z0-9][A-Za-z0-9._-]*\Z", name):
        raise BundleProblem("--name %r: use letters, digits, '.', '_' and '-'" % name)
    target = os.path.join(dest, name)
    if os.path.lexists(target):
        if not force:
            raise BundleProblem("%s exists; give another --name, or --force to replace it" % target)
        shutil.rmtree(target)
    os.makedirs(target)
    for file_name, data in sorted(files.items()):
        with open(os.path.join(target, file_name), "wb") as handle:
            handle.write(data)
    print("== %d answers of %s -> %s" % (len(files) - 2, bundle, shown(target)))
    ignore_line_endings(target, [name for name, data in files.items() if b"\r" in data])
    return target


def ignore_line_endings(target, crlf_names):
    """Answers with CR LF stay byte for byte: ansible-test sanity is told so (tests/sanity/ignore-*.txt)."""
    relative = os.path.relpath(target, ROOT)
    if relative.startswith(".."):
        return
    wanted = set("%s/%s line-endings" % (relative, name) for name in crlf_names)
    for ignore in sorted(glob.glob(os.path.join(ROOT, "tests", "sanity", "ignore-*.txt"))):
        with open(ignore, encoding="utf-8") as handle:
            lines = [line for line in handle.read().splitlines()
                     if line and not line.startswith(relative + "/")]
        with open(ignore, "w", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in sorted(set(lines) | wanted)))
        if wanted:
            print("== %s: %d answer(s) with CR LF line ends kept as they are" % (shown(ignore), len(wanted)))


def run_tests(directories):
    environment = dict(os.environ, ECSS_CONSOLE_FIXTURES=os.pathsep.join(os.path.abspath(d) for d in directories))
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST]
    print("== parser tests on %s" % ", ".join(directories))
    return subprocess.call(command, env=environment, cwd=ROOT)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="scripts/probe-to-fixtures", description=__doc__)
    parser.add_argument("bundle", nargs="+", help="the probe bundle (ecss_probe_dir); with --test, fixture directories")
    parser.add_argument("--name", help="fixture directory name (default <node>-<version>-<date of the probe>)")
    parser.add_argument("--dest", default=CONSOLES, help="where the fixture directory goes (default %(default)s)")
    parser.add_argument("--force", action="store_true", help="replace an existing fixture directory of that name")
    parser.add_argument("--test", action="store_true", help="only run the parser tests on the given fixture directories")
    args = parser.parse_args(argv)
    if args.test:
        return run_tests(args.bundle)
    if len(args.bundle) != 1:
        parser.error("give one bundle")
    try:
        target = convert(args.bundle[0], args.dest, args.name, args.force)
    except (BundleProblem, OSError, ValueError, yaml.YAMLError) as exc:
        print("probe-to-fixtures: %s" % exc, file=sys.stderr)
        return 2
    status = run_tests([target])
    if status == 0:
        print("== the parsers read every answer; commit %s to keep it as a regression test" % shown(target))
    else:
        print("== the parsers do not read this console's answers as it meant them: the failures above say where",
              file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
