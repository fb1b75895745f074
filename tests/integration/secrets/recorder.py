"""A passthrough HTTP proxy on 127.0.0.1 that tells whether a request body held a given value (test_secrets.py).

It proves that a secret the API never returns (Ironic shows a node's config drive as ``******``) reached the
service: the module under test talks to the service through it (an ``<service>_endpoint_override``). It keeps
no body, only the method and path of each request whose body held one of the watched values, and which ones.
"""

import http.client
import http.server
import threading
import urllib.parse

HOP_BY_HOP = {'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailers',
              'transfer-encoding', 'upgrade', 'content-length'}


class Recorder(object):
    def __init__(self, upstream, watched):
        self.upstream = urllib.parse.urlsplit(upstream)
        self.watched = [w.encode() for w in watched]
        self.hits = []
        self.lock = threading.Lock()
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, fmt, *args):
                pass

            def _handle(self):
                length = int(self.headers.get('Content-Length') or 0)
                body = self.rfile.read(length) if length else b''
                held = tuple(w.decode() for w in recorder.watched if w in body)
                if held:
                    with recorder.lock:
                        recorder.hits.append((self.command, self.path.split('?')[0], held))
                conn = http.client.HTTPConnection(recorder.upstream.hostname, recorder.upstream.port, timeout=120)
                try:
                    headers = dict((k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP)
                    if body:
                        headers['Content-Length'] = str(len(body))
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    payload = resp.read()
                    self.send_response(resp.status)
                    for key, value in resp.getheaders():
                        if key.lower() not in HOP_BY_HOP:
                            self.send_header(key, value)
                    self.send_header('Content-Length', str(len(payload)))
                    self.end_headers()
                    if self.command != 'HEAD' and payload:
                        self.wfile.write(payload)
                finally:
                    conn.close()

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.url = 'http://127.0.0.1:%d' % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
