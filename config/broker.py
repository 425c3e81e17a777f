"""The Celery brokers' transports: kombu's own, each with one defect fixed.

The default run's broker: kombu's filesystem transport, with each message written whole before
it can be seen.

kombu creates a message file, then locks and writes it. A worker polling the folder can open
the file between the two, read nothing, and stop on a JSONDecodeError (kombu issue 1551): the
default run then shut itself down after a few minutes. Here a message is written under another
name in a side folder and renamed into the queue, which is atomic on one filesystem.

Production's broker (REDIS_URL): kombu's Redis transport, whose worker no longer stops when
Redis goes away while tasks run (RedisChannel)."""

import os
import uuid
from time import monotonic

from kombu.transport import filesystem, redis
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps
from redis.exceptions import ConnectionError as RedisConnectionError


class AtomicChannel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        staging = os.path.join(os.path.dirname(os.path.abspath(self.data_folder_out)), "staging")
        os.makedirs(staging, exist_ok=True)
        draft = os.path.join(staging, name)
        try:
            with open(draft, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(draft, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {name!r} to directory") from exc


class AtomicFilesystemTransport(filesystem.Transport):
    Channel = AtomicChannel


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
    resumed from the database either way) and the worker reconnects."""

    def _connparams(self, asynchronous=False):
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection was already closed")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(redis.Transport):
    Channel = RedisChannel
