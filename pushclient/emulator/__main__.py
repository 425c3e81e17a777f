"""python -m pushclient.emulator --port 9180 --sdkappid 1400000000 --secret-key KEY"""

import argparse
import os
import signal
import sys

from .server import make_server
from .state import Config


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9180, help="0 picks a free port")
    parser.add_argument("--sdkappid", type=int, default=int(os.environ.get("TIM_SDKAPPID", 1400000000)))
    parser.add_argument("--secret-key", default=os.environ.get("TIM_SECRET_KEY", "emulator-secret-key"))
    parser.add_argument("--admin", action="append", help="admin account (repeatable)")
    parser.add_argument("--db", default="emulator.sqlite3", help="SQLite file for the state")
    parser.add_argument("--daily-quota", type=int, default=100)
    parser.add_argument("--qps-limit", type=int, default=100)
    parser.add_argument("--callback-url", default="",
                        help="post signed Push.AllMemberPush callbacks here (token from the "
                             "TIM_CALLBACK_TOKEN environment variable)")
    args = parser.parse_args(argv)
    config = Config(sdkappid=args.sdkappid, secret_key=args.secret_key,
                    admins=args.admin or ["administrator"], daily_quota=args.daily_quota,
                    qps_limit=args.qps_limit, callback_url=args.callback_url,
                    callback_token=os.environ.get("TIM_CALLBACK_TOKEN", ""))
    server = make_server(host=args.host, port=args.port, db_path=args.db, config=config)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"emulator listening on {server.url}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
