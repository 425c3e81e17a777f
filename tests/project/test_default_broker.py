"""The default run's broker (no REDIS_URL): kombu's SQLAlchemy transport on a SQLite file, shared
by the web server, the workers and the scheduler, each a process of its own.

Every message is delivered once, however many processes publish and consume at once, and a
fresh broker file serves processes that all start together."""

import multiprocessing
import os
import sqlite3
import time
from queue import Empty

import pytest
from django.utils import timezone
from kombu import Connection

from campaigns.models import DispatcherRole
from config.broker import SQLiteTransport, sqlite_transport_options
from config.celery import create_queues, drop_delivered
from tests.stack import Stack, wait_for

PUBLISHERS, CONSUMERS, EACH = 3, 3, 300
TRANSPORT = SQLiteTransport  # config/settings.py's without REDIS_URL


def connect(path):
    return Connection(f"sqlite:///{path}", transport=TRANSPORT,
                      transport_options=sqlite_transport_options(path))


def publish(path, first):
    """As Celery publishes: a lost connection (here a lock not had in time) is tried again."""
    with connect(path) as connection:
        queue = connection.SimpleQueue("celery")
        for n in range(first, first + EACH):
            queue.put({"n": n, "pad": "x" * 2000}, retry=True, retry_policy={"max_retries": 5})


def consume(path, results):
    """As a worker consumes: takes messages until the queue has stayed empty for 2 s, carrying
    on after a lost connection."""
    taken = []
    with connect(path) as connection:
        queue = connection.SimpleQueue("celery")
        idle_since = time.monotonic()
        while time.monotonic() - idle_since < 2.0:
            try:
                message = queue.get(timeout=0.2)
            except (Empty, *connection.connection_errors):
                continue
            taken.append(message.payload["n"])
            message.ack()
            idle_since = time.monotonic()
    results.put(taken)


def test_every_message_reaches_one_consumer_once_with_processes_at_work_at_once(tmp_path):
    path = tmp_path / "broker.sqlite3"
    with connect(path) as connection:  # the queue's row, as a worker adds it before it starts
        connection.default_channel.queue_declare(queue="celery")
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    processes = [context.Process(target=publish, args=(path, i * EACH)) for i in range(PUBLISHERS)]
    processes += [context.Process(target=consume, args=(path, results)) for _ in range(CONSUMERS)]
    for process in processes:
        process.start()
    taken = [n for _ in range(CONSUMERS) for n in results.get(timeout=120)]
    for process in processes:
        process.join(timeout=30)
    assert [p.exitcode for p in processes] == [0] * len(processes)
    assert sorted(taken) == list(range(PUBLISHERS * EACH))


def create_at_once(path, lock_path, start, answers):
    with connect(path) as broker:
        # The engine opened before the start: a queue of this process's own.
        broker.default_channel.queue_declare(queue=f"own-{os.getpid()}")
        start.wait()
        try:
            create_queues(broker, lock_path)
            answers.put("created")
        except Exception as error:
            answers.put(repr(error))


def test_processes_starting_at_once_on_a_new_broker_all_create_its_queues(tmp_path):
    """Without the lock, 8 tries in 10 left one of six processes with an IntegrityError."""
    context = multiprocessing.get_context("fork")
    for attempt in range(10):
        path = tmp_path / f"broker-{attempt}.sqlite3"
        with connect(path) as broker:  # the file and its tables
            broker.default_channel.queue_declare(queue="first")
        start, answers = context.Barrier(6), context.Queue()
        processes = [context.Process(target=create_at_once,
                                     args=(path, tmp_path / "broker.lock", start, answers))
                     for _ in range(6)]
        for process in processes:
            process.start()
        assert [answers.get(timeout=30) for _ in processes] == ["created"] * 6
        for process in processes:
            process.join(timeout=10)


@pytest.mark.workers
@pytest.mark.django_db(transaction=True)
def test_workers_and_the_scheduler_started_at_once_on_a_new_broker_all_run(tmp_path, emulator):
    stack = Stack(tmp_path, emulator.url, REDIS_URL="", VAR_DIR=str(tmp_path), LOG_LEVEL="INFO")
    started = timezone.now()
    try:
        processes = [stack.worker("campaigns", concurrency="1", queues="celery"),
                     stack.worker("audience", concurrency="1", queues="audience"),
                     stack.worker("campaigns-2", concurrency="1", queues="celery"),
                     stack.beat("beat")]
        # beat's dispatch tick, run by a worker, is the scheduler's heartbeat (/healthz).
        wait_for(lambda: DispatcherRole.objects.filter(last_tick_at__gt=started).exists(), timeout=40,
                 message="a dispatch tick sent by beat through the broker and run by a worker")
        time.sleep(2)
        assert [p.poll() for p in processes] == [None] * len(processes), stack.logs()
    finally:
        stack.stop()
    assert "Unrecoverable error" not in stack.full_logs()
    assert "sqlite:///" in stack.full_logs()  # the default broker, not the tests' Redis


def test_delivered_messages_are_dropped_and_waiting_ones_kept(tmp_path):
    path = tmp_path / "broker.sqlite3"
    with connect(path) as broker:
        queue = broker.SimpleQueue("celery")
        for n in range(5):
            queue.put({"n": n})
        for _ in range(3):
            queue.get(timeout=1).ack()
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT count(*) FROM kombu_message").fetchone() == (5,)

        drop_delivered(broker)

        with sqlite3.connect(path) as db:
            assert db.execute("SELECT count(*) FROM kombu_message").fetchone() == (2,)
        assert [queue.get(timeout=1).payload["n"] for _ in range(2)] == [3, 4]
