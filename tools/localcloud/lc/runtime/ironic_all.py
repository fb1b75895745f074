"""The all-in-one `ironic` command (API + conductor, rpc_transport = none).

With a sqlite database (LC_SQLITE_BUSY_MS set), every transaction starts with
BEGIN IMMEDIATE and waits for the write lock instead of failing "database is locked".

usage: python -m lc.runtime.ironic_all --config-file ironic.conf
"""

import sys

from lc.runtime import tweaks

tweaks.sqlite_begin_immediate(tweaks.env_float('LC_SQLITE_BUSY_MS'))

from ironic.command.singleprocess import main  # noqa: E402

if __name__ == '__main__':
    sys.argv[0] = 'ironic'
    sys.exit(main())
