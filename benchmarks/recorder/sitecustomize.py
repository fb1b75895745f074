# -*- coding: utf-8 -*-
# Copyright: cloudrise.openstack contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The benchmark's request recorder: every Python process started with this directory on PYTHONPATH and
BENCH_REQUEST_LOG set appends one line per HTTP request it sends (method, host:port, path without the query)
to that file. It hooks http.client, which requests/urllib3 (so keystoneauth and openstacksdk, whatever their
versions) send through, so it sees what the SDK's debug log misses (version discovery, redirects followed).
Nothing else is recorded: no header, no body."""

import os

_LOG = os.environ.get('BENCH_REQUEST_LOG')

if _LOG:
    import http.client

    _putrequest = http.client.HTTPConnection.putrequest

    def _recording_putrequest(self, method, url, *args, **kwargs):
        with open(_LOG, 'a') as handle:
            handle.write('%s %s:%s %s\n' % (method, self.host, self.port, url.split('?')[0]))
        return _putrequest(self, method, url, *args, **kwargs)

    http.client.HTTPConnection.putrequest = _recording_putrequest
