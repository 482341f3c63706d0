"""Regenerate the README's example output block: ``python tests/update_readme.py``."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
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

# the letter excerpt: the first lines of the Chinese Markdown letter
LETTER_MARK = "<!-- letter-excerpt: accountrules letter examples/bj-2023-017.yaml --format md (first 30 lines) -->"
letter = subprocess.run([sys.executable, "-m", "accountrules", "letter", "examples/bj-2023-017.yaml", "--format", "md"],
                        capture_output=True, text=True, cwd=ROOT, check=True).stdout
excerpt = "".join(letter.splitlines(keepends=True)[:30])
readme = (ROOT / "README.md").read_text(encoding="utf-8")
i = readme.index(LETTER_MARK) + len(LETTER_MARK)
new = readme[:i] + re.sub(r"\n```markdown\n.*?```", lambda _: "\n```markdown\n" + excerpt + "```", readme[i:], count=1,
                          flags=re.DOTALL)
(ROOT / "README.md").write_text(new, encoding="utf-8")

# the chart shown in the README
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, "-m", "accountrules", "stats", "examples/stats/cases.jsonl", "--caseload",
                    "examples/stats/caseload.csv", "--charts", tmp], capture_output=True, cwd=ROOT, check=True)
    shutil.copy(Path(tmp) / "rates.png", ROOT / "docs" / "stats-rates.png")
print("README letter excerpt and docs/stats-rates.png updated")
