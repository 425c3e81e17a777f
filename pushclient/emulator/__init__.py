"""A local emulator of Tencent's push, attribute and tag REST APIs, as strict as the docs."""

from .server import EmulatorServer, make_server
from .state import Config

__all__ = ["Config", "EmulatorServer", "make_server"]
