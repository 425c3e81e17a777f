"""Take the screenshots docs/development.md shows: the pages in
tests/browser/test_every_page.py's SHOWN, at 390 × 844 and 1280 × 800, in English and Simplified
Chinese, into docs/screenshots/.

    make screenshots        (or: .venv/bin/python docs/screenshots.py)

It runs that test module's crawl (a live server, the emulator, headless Chromium at
/usr/bin/chromium) with SCREENSHOTS_DIR set. Chinese needs a CJK font: apt-get install
fonts-noto-cjk. DATABASE_URL may point at PostgreSQL; without it SQLite is used.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "docs" / "screenshots"

if __name__ == "__main__":
    env = {**os.environ, "SCREENSHOTS_DIR": str(FOLDER)}
    sys.exit(subprocess.call(
        [sys.executable, "-m", "pytest", "tests/browser/test_every_page.py", "-q",
         "-k", "test_axe_finds_nothing_serious_at_desktop_width and home"], cwd=ROOT, env=env))
