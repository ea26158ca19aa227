"""Offline stand-in for the get-pip.py that ansible-test downloads.

ansible-test bootstraps pip into each virtual environment it creates by running
https://ci-files.testing.ansible.com/ansible-test/get-pip-<version>.py, a host that is not
reachable here. It uses a cached copy at ~/.ansible/test/cache/get_pip_<version>.py
instead when one exists; scripts/sanity.sh installs this file there.

It is run (through ansible-test's quiet_pip.py) with the interpreter of the new virtual
environment and get-pip's command line, for example:

    --disable-pip-version-check pip==24.2 --no-setuptools --no-wheel

Like the real get-pip.py it installs the requested packages, honouring --no-setuptools and
--no-wheel, but it takes pip from the interpreter's own ensurepip wheel and then the
requested versions from the configured package index instead of an embedded zip.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

# get-pip.py options that are not pip install options.
SKIP_OPTIONS = {
    '--no-setuptools': 'setuptools',
    '--no-wheel': 'wheel',
}


def split_arguments(arguments):
    """Return (pip install arguments, names of packages that must not stay installed)."""
    install_arguments = [argument for argument in arguments if argument not in SKIP_OPTIONS]
    unwanted = [name for option, name in SKIP_OPTIONS.items() if option in arguments]
    requested = {requirement_name(argument) for argument in install_arguments if not argument.startswith('-')}
    return install_arguments, [name for name in unwanted if name not in requested]


def requirement_name(requirement):
    """Return the lower-cased project name of a requirement such as 'pip==24.2'."""
    for separator in ('===', '==', '~=', '!=', '>=', '<=', '>', '<', '[', ';', ' '):
        requirement = requirement.split(separator, 1)[0]
    return requirement.strip().lower()


def run(command):
    """Run a command; its output goes straight to ansible-test's log."""
    sys.stdout.flush()
    subprocess.run(command, check=True)


def installed(name):
    """Return True if the distribution is installed in this interpreter's environment."""
    probe = 'import importlib.metadata, sys; importlib.metadata.distribution(sys.argv[1])'
    probe_result = subprocess.run([sys.executable, '-c', probe, name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return probe_result.returncode == 0


def main():
    install_arguments, unwanted = split_arguments(sys.argv[1:])
    if importlib.util.find_spec('ensurepip') is None:
        sys.exit('get_pip stand-in: %s has no ensurepip module to bootstrap pip from '
                 '(on Debian, install python3-venv for that interpreter)' % sys.executable)
    # ensurepip needs no network: it installs the pip wheel bundled with the interpreter.
    # setuptools may come with it (Python < 3.12), so it is removed below when unwanted.
    run([sys.executable, '-m', 'ensurepip', '--default-pip'])
    # The bundled pip then fetches the exact versions ansible-test asked for.
    run([sys.executable, '-m', 'pip', 'install', '--upgrade', '--force-reinstall'] + install_arguments)
    leftovers = [name for name in unwanted if installed(name)]
    if leftovers:
        run([sys.executable, '-m', 'pip', 'uninstall', '--yes', '--disable-pip-version-check'] + leftovers)


if __name__ == '__main__':
    try:
        main()
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode or 1)
