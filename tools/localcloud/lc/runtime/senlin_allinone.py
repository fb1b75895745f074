"""Senlin api + conductor + engine + health-manager in ONE eventlet process.

oslo.messaging's fake:// transport carries the RPC between them only inside one process
(no RabbitMQ).  Runs in the 'senlin' venv (2023.2 pins).

usage: python -m lc.runtime.senlin_allinone --config-file senlin.conf
env (test-speed knobs; unset = stock Senlin):
  LC_FAKE_RPC_POLL       cap of the fake transport's 50 ms queue poll
  LC_SENLIN_ACTION_POLL  cap of the 3 s sleep of cluster actions waiting for node actions
  LC_SENLIN_HEAT_POLL    cap of the 2 s stack polling of Senlin's Heat driver

One fix, always on: Senlin's Heat driver reads a stack's template with openstacksdk 1.5.1 (the 2023.2 pins),
whose get_stack_template raises KeyError 'stack_name', so node adopt (os.heat.stack) always failed with 500
(fix_stack_template).
"""

import senlin.cmd  # noqa: F401  (eventlet.monkey_patch first, as the senlin-* commands do)

import sys  # noqa: E402

import eventlet  # noqa: E402
import eventlet.wsgi  # noqa: E402
from oslo_config import cfg  # noqa: E402
from oslo_log import log as logging  # noqa: E402
from oslo_service import service  # noqa: E402

from lc.runtime import tweaks  # noqa: E402

LOG = logging.getLogger('localcloud.senlin')


def cap_action_poll(seconds):
    if seconds is None or seconds >= 3:
        return
    from senlin.engine.actions import cluster_action
    original = cluster_action.ClusterAction._sleep

    def _sleep(self, period):
        return original(self, min(period, seconds) if period == 3 else period)
    cluster_action.ClusterAction._sleep = _sleep


def cap_heat_poll(seconds):
    if seconds is None or seconds >= 2:
        return
    from senlin.drivers import sdk
    from senlin.drivers.os import heat_v1

    @sdk.translate_exception
    def wait_for_stack(self, stack_id, status, failures=None, interval=2, timeout=None):
        if timeout is None:
            timeout = cfg.CONF.default_action_timeout
        stack = self.conn.orchestration.find_stack(stack_id, False)
        if stack:
            self.conn.orchestration.wait_for_status(
                stack, status, failures or [], min(interval, seconds), timeout)

    @sdk.translate_exception
    def wait_for_stack_delete(self, stack_id, timeout=None):
        if timeout is None:
            timeout = cfg.CONF.default_action_timeout
        stack = self.conn.orchestration.find_stack(stack_id, True)
        if stack:
            self.conn.orchestration.wait_for_delete(stack, interval=seconds, wait=timeout)

    heat_v1.HeatClient.wait_for_stack = wait_for_stack
    heat_v1.HeatClient.wait_for_stack_delete = wait_for_stack_delete


def fix_stack_template():
    """openstacksdk 1.5.1's StackTemplate declares ``stack_name`` as a second URI attribute aliased to ``name``;
    both map the key 'stack_name', so building the template's URL raises KeyError 'stack_name' and Senlin's node
    adopt and adopt-preview of an os.heat.stack node answered 500 'stack_name'. Without that alias the SDK's own
    get_stack_template (which passes ``stack_name=``) fills ``name`` and works, as in later releases."""
    from openstack import resource
    from openstack.orchestration.v1 import stack_template

    broken = stack_template.StackTemplate.__dict__.get('stack_name')
    if isinstance(broken, resource.URI) and broken.name != 'stack_name':
        del stack_template.StackTemplate.stack_name


class WsgiLog:
    """eventlet.wsgi wants a file-like log: route it to oslo.log at debug."""

    def write(self, msg):
        LOG.debug(msg.rstrip())


def main():
    from senlin import objects
    from senlin.api.common import wsgi
    from senlin.common import config, consts, messaging, profiler
    import senlin.conf

    conf = senlin.conf.CONF
    config.parse_args(sys.argv, 'senlin-allinone')
    logging.setup(conf, 'senlin')
    objects.register_all()
    tweaks.cap_fake_poll(tweaks.env_float('LC_FAKE_RPC_POLL'), sleep=eventlet.sleep)
    cap_action_poll(tweaks.env_float('LC_SENLIN_ACTION_POLL'))
    cap_heat_poll(tweaks.env_float('LC_SENLIN_HEAT_POLL'))
    fix_stack_template()
    messaging.setup()

    from senlin.conductor import service as conductor
    from senlin.engine import service as engine
    from senlin.health_manager import service as health_manager

    profiler.setup('senlin-allinone', conf.host)
    launcher = service.ServiceLauncher(conf, restart_method='mutate')
    launcher.launch_service(conductor.ConductorService(conf.host, consts.CONDUCTOR_TOPIC))
    launcher.launch_service(engine.EngineService(conf.host, consts.ENGINE_TOPIC))
    launcher.launch_service(
        health_manager.HealthManagerService(conf.host, consts.HEALTH_MANAGER_TOPIC))

    app = wsgi.load_paste_app('senlin-api')
    host, port = conf.senlin_api.bind_host, conf.senlin_api.bind_port
    sock = eventlet.listen((host, port), backlog=128)
    LOG.info('senlin all-in-one API on http://%s:%s', host, port)
    eventlet.spawn(eventlet.wsgi.server, sock, app, log=WsgiLog(), max_size=200)
    launcher.wait()


if __name__ == '__main__':
    sys.exit(main())
