"""Regenerate the shown outputs in ``docs/authoring.md``: ``python tests/update_authoring.py``.

Each ``<!-- run: accountrules … -->`` marker is followed by a console block whose first line is the
command; the rest is replaced by what the command prints. Each ``<!-- file: PATH -->`` marker is
followed by a yaml block replaced by the file. ``tests/test_shandong.py`` checks both.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "authoring.md"


def shown(command: str) -> str:
    out = subprocess.run([sys.executable, "-m", "accountrules", *command.split()[1:]], capture_output=True,
                         text=True, cwd=ROOT, env=dict(os.environ), timeout=300, check=False)
    return out.stdout + out.stderr


text = DOC.read_text(encoding="utf-8")
text = re.sub(r"(<!-- run: (accountrules [^>]*?) -->\n```console\n\$ \2\n).*?```",
              lambda m: m.group(1) + shown(m.group(2)) + "```", text, flags=re.DOTALL)
text = re.sub(r"(<!-- file: ([^ ]+) -->\n```yaml\n).*?```",
              lambda m: m.group(1) + (ROOT / m.group(2)).read_text(encoding="utf-8") + "```", text, flags=re.DOTALL)
DOC.write_text(text, encoding="utf-8")
print("docs/authoring.md updated")
