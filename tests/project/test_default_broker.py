"""The default run's filesystem broker never shows a worker a message that is not yet whole.

Why: kombu's filesystem transport creates a message file and only then writes it, so a polling
worker can read an empty file, and `make run` stopped by itself with `JSONDecodeError`."""

import json
import os
import threading

from kombu import Connection

from config.broker import AtomicFilesystemTransport


def test_every_message_file_a_worker_can_see_is_whole(tmp_path):
    queue = tmp_path / "queue"
    queue.mkdir()
    options = {"data_folder_in": str(queue), "data_folder_out": str(queue)}
    seen, broken, done = [0], [], threading.Event()

    def watch():
        # What kombu's _get does: list the folder and read each message file it finds.
        while not done.is_set():
            for name in os.listdir(queue):
                try:
                    raw = (queue / name).read_bytes()
                except FileNotFoundError:
                    continue
                seen[0] += 1
                try:
                    json.loads(raw)
                except ValueError:
                    broken.append(name)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with Connection("filesystem://", transport=AtomicFilesystemTransport,
                        transport_options=options) as connection:
            producer = connection.Producer(serializer="json")
            for i in range(3000):
                producer.publish({"n": i, "pad": "x" * 2000}, routing_key="celery")
    finally:
        done.set()
        watcher.join()
    assert seen[0] > 0 and broken == []
    assert len([n for n in os.listdir(queue) if n.endswith(".msg")]) == 3000
