"""Peak memory of the web process's part of a large upload (1,000,000 accounts by default), in a
process of its own.

Django streams an upload this size to a temporary file; this reads such a file from disk and
imports it with `segment_import`, then reports the process's peak RSS (Django included).
"""

from __future__ import annotations

import json
import resource
import sys
import time

from bench.harness import setup_django, temp_dir


def main(accounts: int = 1_000_000) -> dict:
    tmp = temp_dir()
    path = tmp / "members.txt"
    with open(path, "wb") as handle:
        for start in range(0, accounts, 10_000):
            handle.write(b"".join(b"member%08d\n" % i
                                  for i in range(start, min(accounts, start + 10_000))))
    setup_django(tmp)
    from django.conf import settings
    from django.contrib.auth.models import User

    # As deployed: DEBUG's query log (the last 9,000 statements, an INSERT of 5,000 rows each)
    # would otherwise be counted as the import's memory.
    settings.DEBUG = False
    from django.core.files import File

    from audience import services
    user = User.objects.create_user("bench")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.monotonic()
    with open(path, "rb") as handle:
        segment = services.segment_import(user=user, name="1M",
                                          lines=services.upload_lines(File(handle)))
    result = {"accounts": segment.size, "seconds": round(time.monotonic() - t0, 1),
              "rss_before_mb": round(before, 1),
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
