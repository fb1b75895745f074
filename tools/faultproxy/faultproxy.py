#!/usr/bin/env python3
"""faultproxy: a small fault-injecting HTTP proxy on 127.0.0.1 in front of one upstream service.

    tools/faultproxy/faultproxy.py --upstream http://127.0.0.1:8004 [--port 0] [--rules rules.json]
                                   [--max-lifetime 600] [--log events.jsonl]

Standard library only. Every request is forwarded to the upstream unless a rule matches it first; a rule
matches a method (or ``*``) and a regular expression searched in the path (with its query string), skips the
first ``after`` matches, then acts on the next ``count`` matches (default 1):

    {"method": "GET", "path": "/stacks/[^/]+/[0-9a-f-]{36}", "action": "status", "status": 503, "count": 3}
    {"method": "GET", "path": "...", "action": "reset"}          # the connection reset, nothing forwarded
    {"method": "POST", "path": "/stacks$", "action": "drop_response"}  # forwarded (the service acts on it),
                                                                       # then the connection reset: answer lost
    {"method": "GET", "path": "...", "action": "stall", "seconds": 60}  # forwarded, answered S seconds later
    {"method": "PATCH", "path": "/clusters/", "action": "status", "status": 409,
     "body": {"error": {"code": 409, "message": "The cluster is locked by another action."}}}

Rules come from a JSON file (a list of rules, re-read when it changes), from the control endpoint
(``PUT /__faultproxy__/rules`` with a JSON list; ``GET /__faultproxy__/events`` lists what was injected,
``GET /__faultproxy__/requests`` every request seen) or, in-process, from ``FaultProxy.set_rules``.
Everything is bounded: each rule by its count, a stall by its seconds, the whole proxy by ``max_lifetime``
(it stops serving after that many seconds). Each injection is logged (stderr and ``--log``, one JSON line).
"""

import argparse
import http.client
import http.server
import json
import os
import re
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

CONTROL = '/__faultproxy__/'
HOP_BY_HOP = {'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailers',
              'transfer-encoding', 'upgrade', 'content-length'}
ACTIONS = ('status', 'reset', 'drop_response', 'stall')


class Rule:
    """One fault: ``action`` on the requests that match ``method`` and ``path``, ``count`` times after ``after``."""

    def __init__(self, action, method='*', path='', count=1, after=0, status=503, body=None, seconds=30.0,
                 headers=None):
        if action not in ACTIONS:
            raise ValueError('unknown action %r (one of %s)' % (action, ', '.join(ACTIONS)))
        self.action, self.method, self.path = action, method.upper(), re.compile(path)
        self.count, self.after = int(count), int(after)
        self.status, self.body, self.seconds = int(status), body, float(seconds)
        self.headers = dict(headers or {})
        self.seen = 0
        self.fired = 0

    @classmethod
    def from_dict(cls, data):
        return cls(**data)

    def take(self, method, path):
        """True when this request gets the fault (the call counts the match)."""
        if self.method not in ('*', method) or not self.path.search(path):
            return False
        self.seen += 1
        if self.seen <= self.after or self.fired >= self.count:
            return False
        self.fired += 1
        return True

    def describe(self):
        return dict(action=self.action, method=self.method, path=self.path.pattern, count=self.count,
                    after=self.after, fired=self.fired)


class FaultProxy:
    """The proxy: ``start()`` serves in a thread on 127.0.0.1 (``url``), ``stop()`` ends it."""

    def __init__(self, upstream, port=0, rules=(), rules_file=None, max_lifetime=600.0, log_path=None,
                 upstream_timeout=120.0):
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.scheme != 'http':
            raise ValueError('only http:// upstreams are supported: %s' % upstream)
        self.upstream_host, self.upstream_port = parsed.hostname, parsed.port or 80
        self.upstream_timeout = upstream_timeout
        self.max_lifetime = max_lifetime
        self.rules_file, self._rules_mtime = rules_file, None
        self.log_path = log_path
        self.events, self.requests = [], []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._rules = [r if isinstance(r, Rule) else Rule.from_dict(r) for r in rules]
        self.server = _Server(('127.0.0.1', port), _Handler)
        self.server.proxy = self
        self.port = self.server.server_address[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        self._thread = None
        self._timer = None

    # -- control ------------------------------------------------------------------------------------
    def set_rules(self, rules):
        with self._lock:
            self._rules = [r if isinstance(r, Rule) else Rule.from_dict(r) for r in rules]

    def add_rule(self, **rule):
        with self._lock:
            self._rules.append(Rule.from_dict(rule))

    def clear(self):
        with self._lock:
            self._rules, self.events, self.requests = [], [], []

    def rules(self):
        with self._lock:
            return [r.describe() for r in self._rules]

    def _reload_rules_file(self):
        if not self.rules_file:
            return
        try:
            mtime = os.stat(self.rules_file).st_mtime
        except OSError:
            return
        if mtime != self._rules_mtime:
            with open(self.rules_file) as handle:
                self.set_rules(json.load(handle))
            self._rules_mtime = mtime

    def match(self, method, path):
        """The rule that injects a fault into this request, or None; every request is recorded."""
        self._reload_rules_file()
        with self._lock:
            self.requests.append(dict(method=method, path=path, time=time.time()))
            for rule in self._rules:
                if rule.take(method, path):
                    return rule
        return None

    def log(self, event):
        event = dict(event, time=round(time.time(), 3))
        with self._lock:
            self.events.append(event)
        line = json.dumps(event, sort_keys=True)
        sys.stderr.write('faultproxy: %s\n' % line)
        if self.log_path:
            with open(self.log_path, 'a') as handle:
                handle.write(line + '\n')

    def seen(self, method, path_regex):
        """How many requests with ``method`` and a path matching ``path_regex`` reached the proxy."""
        pattern = re.compile(path_regex)
        with self._lock:
            return sum(1 for r in self.requests if r['method'] == method and pattern.search(r['path']))

    # -- life ---------------------------------------------------------------------------------------
    def start(self):
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs=dict(poll_interval=0.2),
                                        name='faultproxy-%d' % self.port, daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.max_lifetime, self._expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def _expire(self):
        self.log(dict(event='max_lifetime', seconds=self.max_lifetime))
        self.stop()

    def stop(self):
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self._timer is not None:
            self._timer.cancel()
        self.server.shutdown()
        self.server.server_close()

    @property
    def stopped(self):
        return self._stopped

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'faultproxy'

    def log_message(self, fmt, *args):  # quiet: the injections are logged by the proxy
        pass

    def _body(self):
        length = int(self.headers.get('Content-Length') or 0)
        return self.rfile.read(length) if length else b''

    def _reset(self):
        """Close the client's connection with a TCP reset (SO_LINGER 0), no answer sent."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def _answer(self, status, headers, body):
        self.send_response_only(status)
        for key, value in headers:
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD' and body:
            self.wfile.write(body)
        self.close_connection = True

    def _forward(self, body):
        proxy = self.server.proxy
        conn = http.client.HTTPConnection(proxy.upstream_host, proxy.upstream_port, timeout=proxy.upstream_timeout)
        try:
            headers = dict((k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP)
            if body:
                headers['Content-Length'] = str(len(body))
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            conn.close()

    def _control(self, body):
        proxy = self.server.proxy
        what = self.path[len(CONTROL):].split('?')[0]
        if self.command == 'PUT' and what == 'rules':
            proxy.set_rules(json.loads(body or b'[]'))
            data = proxy.rules()
        elif self.command == 'GET' and what in ('rules', 'events', 'requests'):
            data = proxy.rules() if what == 'rules' else list(getattr(proxy, what))
        else:
            return self._answer(404, [('Content-Type', 'text/plain')], b'unknown control request\n')
        return self._answer(200, [('Content-Type', 'application/json')], json.dumps(data).encode())

    def _handle(self):
        proxy = self.server.proxy
        body = self._body()
        if self.path.startswith(CONTROL):
            return self._control(body)
        rule = proxy.match(self.command, self.path)
        if rule is None:
            try:
                return self._answer(*self._forward(body))
            except OSError as exc:
                proxy.log(dict(event='upstream_error', method=self.command, path=self.path, error=str(exc)))
                return self._answer(502, [('Content-Type', 'text/plain')], b'faultproxy: upstream error\n')
        event = dict(event=rule.action, method=self.command, path=self.path, nth=rule.fired)
        if rule.action == 'status':
            proxy.log(dict(event, status=rule.status))
            payload = rule.body if isinstance(rule.body, (bytes, str)) or rule.body is None else json.dumps(rule.body)
            payload = (payload or '').encode() if not isinstance(payload, bytes) else payload
            kind = 'application/json' if payload[:1] in (b'{', b'[') else 'text/plain'
            return self._answer(rule.status, [('Content-Type', kind)] + list(rule.headers.items()), payload)
        if rule.action == 'reset':
            proxy.log(event)
            return self._reset()
        status, headers, payload = self._forward(body)
        if rule.action == 'drop_response':
            proxy.log(dict(event, upstream_status=status))
            return self._reset()
        proxy.log(dict(event, seconds=rule.seconds, upstream_status=status))  # stall
        proxy.stopped.wait(rule.seconds)
        try:
            return self._answer(status, headers, payload)
        except OSError:  # the client gave up waiting
            self.close_connection = True
            return None

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--upstream', required=True, help='http://host:port of the service')
    parser.add_argument('--port', type=int, default=0, help='port on 127.0.0.1 (0: any free one)')
    parser.add_argument('--rules', help='JSON file with a list of rules (re-read when it changes)')
    parser.add_argument('--max-lifetime', type=float, default=600.0, help='seconds before the proxy stops')
    parser.add_argument('--log', help='append the injected faults to this file (JSON lines)')
    args = parser.parse_args(argv)
    proxy = FaultProxy(args.upstream, port=args.port, rules_file=args.rules, max_lifetime=args.max_lifetime,
                       log_path=args.log)
    proxy.start()
    print(proxy.url, flush=True)
    try:
        proxy.stopped.wait()
    except KeyboardInterrupt:
        proxy.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
