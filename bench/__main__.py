"""python -m bench [--quick] [--only NAME]: print one `name value unit` line per figure."""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
from pathlib import Path

from bench import flood, interactive, outbox, scale, startup


def main() -> None:
    """Run every benchmark (or one) in a fresh temporary folder."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under a minute")
    parser.add_argument("--only", choices=["interactive", "outbox", "flood", "startup", "scale"], help="run one group")
    args = parser.parse_args()
    print(f"# machine {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="courtyard-bench-") as tmp:
        folder = Path(tmp)
        if args.only in (None, "interactive"):
            interactive.run(folder, args.quick)
        if args.only in (None, "outbox"):
            outbox.run(folder, args.quick)
        if args.only in (None, "flood"):
            flood.run(folder, args.quick)
        if args.only in (None, "startup"):
            startup.run(folder, args.quick)
        if args.only in (None, "scale"):
            scale.run(folder, args.quick)


if __name__ == "__main__":
    main()
