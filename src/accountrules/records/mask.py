"""Masking personal fields of a recorded case: the values are replaced by salted digests.

A mask file lists field paths of the case file (contract §1)::

    mask:
      - persons[*].name
      - case.findings[*].note

Only fields that no rule tests may be masked (names, ids, notes): the masked case evaluates to the
same outcome, so a masked record can still be verified and audited. A masked value becomes
``m-`` and 24 hex digits of HMAC-SHA256(salt, value): equal values give equal digests (records
can still be linked), and without the secret salt a digest cannot be reversed by trying names.
Masking ``persons[*].id`` masks the ids the findings name too, with the same digests.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic, allowed, did_you_mean
from ..errors import AccountRulesError
from ..load import YamlProblem, load_yaml

MASKABLE: tuple[str, ...] = ("case.id", "case.agency.name", "case.findings[*].note", "persons[*].name",
                             "persons[*].id")


class MaskError(AccountRulesError):
    """A mask file or salt that cannot be used."""

    code = "bad-mask"


class Mask:
    """A set of maskable field paths and the secret salt of their digests."""

    def __init__(self, paths: list[str], salt: str | bytes) -> None:
        bad = [p for p in paths if p not in MASKABLE]
        if bad:
            raise MaskError([Diagnostic("bad-mask", f"'{p}' cannot be masked{did_you_mean(p, MASKABLE)}. "
                                        f"{allowed(MASKABLE)}") for p in bad])
        if not salt:
            raise MaskError("a mask needs a secret salt (ACCOUNTRULES_RECORDS_SALT): without one a digest of a "
                            "name can be reversed by trying names.")
        self.paths = sorted(set(paths))
        self._salt = salt.encode() if isinstance(salt, str) else salt

    @classmethod
    def from_file(cls, path: str, salt: str | None) -> Mask:
        """Read a mask file (YAML: ``mask: [path, …]``).

        Raises:
            MaskError: the file does not read, or names a field that cannot be masked.
        """
        try:
            doc = load_yaml(Path(path).read_bytes(), path)
        except OSError as exc:
            raise MaskError([Diagnostic("bad-mask", f"cannot read mask file: {exc.strerror}.", path=path)]) from None
        except YamlProblem as exc:
            raise MaskError(exc.diagnostics) from None
        data = doc.data
        if not isinstance(data, dict) or set(data) != {"mask"} or not isinstance(data["mask"], list) \
                or not all(isinstance(p, str) for p in data["mask"]):
            raise MaskError([Diagnostic("bad-mask", "a mask file is 'mask:' and a list of field paths. "
                                        f"{allowed(MASKABLE)}", doc.span(()))])
        return cls(list(data["mask"]), salt or "")

    def digest(self, value: str) -> str:
        """The masked form of one value."""
        return "m-" + hmac.new(self._salt, value.encode("utf-8"), hashlib.sha256).hexdigest()[:24]

    def apply(self, case: dict[str, Any]) -> dict[str, Any]:
        """A copy of a case dict (``Case.model_dump(mode="json")``) with the masked fields replaced."""
        import copy

        out = copy.deepcopy(case)
        c, persons = out["case"], out["persons"]

        def sub(v: Any) -> Any:
            return self.digest(v) if isinstance(v, str) and v else v

        if "case.id" in self.paths:
            c["id"] = sub(c["id"])
        if "case.agency.name" in self.paths:
            c["agency"]["name"] = sub(c["agency"]["name"])
        for f in c.get("findings", []):
            if "case.findings[*].note" in self.paths:
                f["note"] = sub(f.get("note"))
            if "persons[*].id" in self.paths:
                f["persons"] = [sub(p) for p in f.get("persons", [])]
        for p in persons:
            if "persons[*].name" in self.paths:
                p["name"] = sub(p.get("name"))
            if "persons[*].id" in self.paths:
                p["id"] = sub(p["id"])
        return out
