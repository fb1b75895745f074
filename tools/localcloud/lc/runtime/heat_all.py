"""Heat's v1 API and engine in ONE process (heat 27 ships no heat-all).

oslo.messaging's fake:// transport only works inside one process, so the API WSGI app
(built like heat.wsgi.api does) and heat.engine.service.EngineService (started directly:
oslo.service's launcher forks even for one worker) share this process.  The app is
served by a threaded stdlib WSGI server (HTTP/1.0, no keep-alive).

usage: python -m lc.runtime.heat_all --config-file heat.conf --bind 127.0.0.1:8004
env:   LC_FAKE_RPC_POLL   cap of the fake transport's 50 ms poll (seconds)
       LC_HEAT_TASK_STEP  cap of Heat's 1 s sleep between task steps (seconds)
       LC_SQLITE_BUSY_MS  set for a sqlite DB: BEGIN IMMEDIATE + busy timeout
"""

import argparse
import os
import signal
import socketserver
import sys
import threading
from wsgiref import simple_server

from lc.runtime import tweaks


def parse_args():
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('--bind', default='127.0.0.1:8004')
    args, rest = parser.parse_known_args()
    sys.argv = [sys.argv[0]] + rest          # heat parses --config-file itself
    host, port = args.bind.rsplit(':', 1)
    return host, int(port)


def cap_task_step(seconds):
    if seconds is None or seconds >= 1:
        return
    from heat.engine import scheduler
    original = scheduler.TaskRunner._sleep

    def short_sleep(self, wait_time):
        if wait_time is not None and wait_time > seconds:
            wait_time = seconds
        return original(self, wait_time)
    scheduler.TaskRunner._sleep = short_sleep


class Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    request_queue_size = 64


def make_handler(log):
    class Handler(simple_server.WSGIRequestHandler):
        def log_message(self, fmt, *args):
            log.debug('%s %s', self.address_string(), fmt % args)
    return Handler


def main():
    host, port = parse_args()
    tweaks.sqlite_begin_immediate(tweaks.env_float('LC_SQLITE_BUSY_MS'))

    from oslo_service import backend
    backend.init_backend(backend.BackendType.THREADING)
    from oslo_config import cfg
    from oslo_log import log as logging

    from heat.api.openstack import wsgi as api_wsgi
    app = api_wsgi.init_application()        # parses CONF, logging, transport, paste app
    conf = cfg.CONF
    log = logging.getLogger('localcloud.heat')

    from heat.common import config
    from heat.engine import service as engine
    from heat.engine import template
    from heat.rpc import api as rpc_api

    config.startup_sanity_check()
    manager = template._get_template_extension_manager()
    if not manager or not manager.names():
        sys.exit('ERROR: no template format plugins registered')
    cap_task_step(tweaks.env_float('LC_HEAT_TASK_STEP'))
    if str(conf.transport_url or '').startswith('fake:'):
        tweaks.cap_fake_poll(tweaks.env_float('LC_FAKE_RPC_POLL'))

    engine_service = engine.EngineService(conf.host, rpc_api.ENGINE_TOPIC)
    engine_service.start()
    httpd = simple_server.make_server(host, port, app, server_class=Server,
                                      handler_class=make_handler(log))

    def on_signal(signum, frame):
        log.info('signal %s: stopping', signum)
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info('heat API on http://%s:%s, engine %s in-process', host, port,
             engine_service.engine_id)
    httpd.serve_forever()
    try:
        engine_service.stop()
    except Exception:   # noqa: BLE001 - shutting down anyway
        log.exception('engine stop failed')
    os._exit(0)


if __name__ == '__main__':
    main()
