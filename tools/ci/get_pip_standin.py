"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test fetches get-pip from a host this project's machines cannot reach. Installed as
~/.ansible/test/cache/get_pip_<version>.py it bootstraps pip from the interpreter's bundled
ensurepip wheel, then installs the requested packages from the package index as usual.
"""

import subprocess
import sys

DROPPED = {'--no-setuptools', '--no-wheel'}


def main(argv):
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'])
    args = [arg for arg in argv if arg not in DROPPED]
    if args:
        subprocess.check_call([sys.executable, '-m', 'pip', 'install'] + args)


if __name__ == '__main__':
    main(sys.argv[1:])
