"""The default run's Celery broker: kombu's filesystem transport, with each message written
whole before it can be seen.

kombu creates a message file, then locks and writes it. A worker polling the folder can open
the file between the two, read nothing, and stop on a JSONDecodeError (kombu issue 1551): the
default run then shut itself down after a few minutes. Here a message is written under another
name in a side folder and renamed into the queue, which is atomic on one filesystem."""

import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


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
