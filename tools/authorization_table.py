#!/usr/bin/env python3
"""Write docs/authorization.md from the authorization matrix (states/authorization.py).

Usage: python tools/authorization_table.py [--check]
``--check`` writes nothing: exit 1 when the file is not what the matrix gives (tests/test_authorization.py).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from states.authorization import markdown  # noqa: E402

TARGET = ROOT / "docs" / "authorization.md"


def main(argv: list[str]) -> int:
    text = markdown()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is not current: run python tools/authorization_table.py")
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"written {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
