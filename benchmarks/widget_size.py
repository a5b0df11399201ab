"""Print the size of the partner widget as browsers download it (raw and gzip -9)."""

import gzip
from pathlib import Path

WIDGET = Path(__file__).resolve().parent.parent / "ui" / "widget" / "widget.js"
LIMIT = 12 * 1024  # issue 18: options, dark mode and passages fit in 12 KB


def main() -> None:
    raw = WIDGET.read_bytes()
    packed = len(gzip.compress(raw, 9))
    print(f"| file | raw bytes | gzip -9 bytes | budget |\n|---|---|---|---|\n"
          f"| ui/widget/widget.js | {len(raw):,} | {packed:,} | {LIMIT:,} |")
    if packed > LIMIT:
        raise SystemExit("widget.js is over its 12 KB gzipped budget")


if __name__ == "__main__":
    main()
