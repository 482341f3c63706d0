"""Regenerate the README's example output block: ``python tests/update_readme.py``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = "<!-- example-output: accountrules evaluate examples/bj-2023-017.yaml --format text --lang en -->"

out = subprocess.run([sys.executable, "-m", "accountrules", "evaluate", "examples/bj-2023-017.yaml", "--format",
                      "text", "--lang", "en"], capture_output=True, text=True, cwd=ROOT, check=True).stdout
readme = (ROOT / "README.md").read_text(encoding="utf-8")
i = readme.index(MARK) + len(MARK)
new = readme[:i] + re.sub(r"\n```text\n.*?```", lambda _: "\n```text\n" + out + "```", readme[i:], count=1,
                          flags=re.DOTALL)
(ROOT / "README.md").write_text(new, encoding="utf-8")
print("README updated")
