"""Patches shared by the in-venv launchers (Keystone, Heat, Senlin, Ironic).

- cap_fake_poll: oslo.messaging's fake:// driver sleeps 50 ms between polls of its
  in-memory queue, adding up to 50 ms to each RPC; cap that sleep.
- sqlite_begin_immediate: oslo.db emits a deferred BEGIN on SQLite; a transaction that
  reads and then writes fails at once with "database is locked" when another connection
  wrote in between (SQLite does not call the busy handler for a lock upgrade).  Start
  every transaction with BEGIN IMMEDIATE (take the write lock up front, waiting up to
  busy_ms) instead.  Needed for Heat on sqlite when Senlin creates stacks in parallel.
"""

import os
import time
import types


def env_float(name, default=None):
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, '') else default


def cap_fake_poll(seconds, sleep=time.sleep):
    if seconds is None or seconds >= 0.05:
        return
    from oslo_messaging._drivers import impl_fake
    impl_fake.time = types.SimpleNamespace(
        time=time.time, sleep=lambda s: sleep(min(s, seconds)))


def sqlite_begin_immediate(busy_ms):
    if not busy_ms:
        return
    import sqlalchemy
    from oslo_db.sqlalchemy import engines

    original = engines.create_engine

    def create_engine(sql_connection, *args, **kwargs):
        engine = original(sql_connection, *args, **kwargs)
        if engine.dialect.name != 'sqlite':
            return engine

        def on_connect(dbapi_con, con_record):
            dbapi_con.execute('PRAGMA busy_timeout = %d' % int(busy_ms))

        def on_begin(conn):
            if 'in_transaction' not in conn.info:
                conn.exec_driver_sql('BEGIN IMMEDIATE')
                conn.info['in_transaction'] = True   # makes oslo.db's own BEGIN a no-op

        sqlalchemy.event.listen(engine, 'connect', on_connect)
        # oslo.db's "_sqlite_emit_begin" must go: a listener cannot be put before it
        for listener in list(engine.dispatch.begin):
            if getattr(listener, '__name__', '') == '_sqlite_emit_begin':
                sqlalchemy.event.remove(engine, 'begin', listener)
        sqlalchemy.event.listen(engine, 'begin', on_begin)
        return engine

    engines.create_engine = create_engine
