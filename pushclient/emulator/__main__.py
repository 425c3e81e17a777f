"""python -m pushclient.emulator --port 9180 --sdkappid 1400000000 --secret-key KEY
[--app 1400000001:KEY2 ...]"""

import argparse
import os
import signal
import sys

from .server import make_server
from .state import Config


def app(text: str) -> tuple[int, str]:
    """--app SDKAPPID:SECRET_KEY"""
    sdkappid, _, key = text.partition(":")
    if not (sdkappid.isascii() and sdkappid.isdigit() and int(sdkappid) > 0 and key):
        # The text holds a key: not repeated in the message.
        raise argparse.ArgumentTypeError("expected SDKAPPID:SECRET_KEY")
    return int(sdkappid), key


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9180, help="0 picks a free port")
    parser.add_argument("--sdkappid", type=int, default=int(os.environ.get("TIM_SDKAPPID", 1400000000)))
    parser.add_argument("--secret-key", default=os.environ.get("TIM_SECRET_KEY", "emulator-secret-key"))
    parser.add_argument("--app", action="append", type=app, default=[],
                        metavar="SDKAPPID:SECRET_KEY",
                        help="one more app to serve (repeatable), with the other settings of "
                             "the default app (--sdkappid) and its state in <db stem>-SDKAPPID; "
                             "POST /emulator/apps keeps its key out of `ps`")
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
    for sdkappid, secret_key in args.app:
        try:
            server.add_app(server.app_config(sdkappid, secret_key))
        except ValueError as exc:
            server.server_close()
            parser.error(str(exc))
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
