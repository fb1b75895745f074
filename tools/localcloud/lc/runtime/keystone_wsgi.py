"""Keystone's WSGI application (for uwsgi --module), with sqlite write serialisation.

The config comes from OS_KEYSTONE_CONFIG_DIR (set by the tool).
"""

from lc.runtime import tweaks

tweaks.sqlite_begin_immediate(tweaks.env_float('LC_SQLITE_BUSY_MS'))

from keystone.wsgi.api import application  # noqa: E402,F401
