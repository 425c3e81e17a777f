"""The Celery brokers' transports: kombu's own.

The default run's (no REDIS_URL): kombu's SQLAlchemy transport on a SQLite file
(config/settings.py), looking for new tasks every 0.1 s (SQLiteTransport). Production's
(REDIS_URL): kombu's Redis transport, whose worker no longer stops when Redis goes away while
tasks run (RedisChannel)."""

import sqlite3
from functools import partial

from kombu.transport import redis, sqlalchemy
from redis.exceptions import ConnectionError as RedisConnectionError


class SQLiteTransport(sqlalchemy.Transport):
    """A worker with nothing to do looks for a task every 0.1 s, not every second (kombu's
    default): a job's first call comes within a second of queueing (BENCHMARKS.md, defaults).
    This transport hands its options to SQLAlchemy's create_engine, which refuses the
    `polling_interval` option, so the transport's documented attribute is set here."""

    polling_interval = 0.1


def sqlite_transport_options(path) -> dict:
    """SQLiteTransport's options: its connections to the file at path, made by SQLAlchemy's
    documented `creator` hook (kombu passes the options to create_engine)."""
    return {"creator": partial(_connect, str(path))}


def _connect(path: str) -> sqlite3.Connection:
    # Up to 30 s for another process's write (SQLite's default is 5 s): a lock not had in time
    # is a lost connection to Celery, and a worker then hands its running tasks out again.
    connection = sqlite3.connect(path, timeout=30)
    # Write-ahead logging without a disk flush per commit: a worker's poll, which is a write,
    # no longer holds up the others' reads, and a web request queues a task in about 3 ms instead
    # of 15. A power cut may lose the last tasks queued, as Redis without persistence would.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


class RedisChannel(redis.Channel):
    """kombu's Redis channel, which treats a connection already taken apart as lost.

    On a broker connection loss Celery's consumer calls `Connection.collect()`, then
    `Connection.close()`. collect() closes the consumer's channel, but that close stops at its
    first step (reading the BRPOP that failed) with a connection error collect() swallows; then
    collect() detaches the transport (`transport.client = None`). close() closes the channel
    again: it now gets as far as giving the unacknowledged messages back (every `acks_late`
    task running, e.g. a job's), builds a new connection pool for that from `transport.client`,
    and fails with AttributeError("'NoneType' object has no attribute 'hostname'"). That is
    not a connection error, so the worker stopped ("Unrecoverable error") instead of
    reconnecting. Here it is one: the messages stay in Redis's unacked set (they come back
    after the visibility timeout, or were lost with a restarted Redis; jobs and imports are
    resumed from the database either way) and the worker reconnects.

    Still so with kombu 5.7.0 and Celery 5.7.0, the latest: without this class
    tests/audience/test_broker_restart.py fails on that AttributeError (kombu issue 582 is the
    same close path), and kombu has no setting for it."""

    def _connparams(self, asynchronous=False):
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection was already closed")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(redis.Transport):
    Channel = RedisChannel
