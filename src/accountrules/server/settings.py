"""Server settings, read from the environment so that any ASGI runner can start the app.

``uvicorn --factory accountrules.server:create_app --workers 4`` builds one app per worker
process, each reading the same variables:

==================================  ==============================================================
``ACCOUNTRULES_RULES``              rulebook directory (default: the bundled rulebook)
``ACCOUNTRULES_BACKEND``            ``durable`` (default) or ``python``
``ACCOUNTRULES_MAX_BODY_BYTES``     largest case body, and largest batch line (default 2 MiB)
``ACCOUNTRULES_MAX_BATCH_BYTES``    largest batch body (default 64 MiB)
``ACCOUNTRULES_ACCESS_LOG``         ``stderr`` (default), ``stdout``, ``off`` or a file path (JSON lines)
``ACCOUNTRULES_RECORDS_DB``         record every decision here: a SQLite file path or a database URL
``ACCOUNTRULES_RECORDS_MASK``       a mask file: field paths whose values are stored as salted digests
``ACCOUNTRULES_RECORDS_SALT``       the secret salt of those digests (required with a mask)
``ACCOUNTRULES_RECORDS_KEY``        optional secret: records are sealed with an HMAC under it
==================================  ==============================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..contract.yaml_source import MAX_BYTES
from ..diagnostics import Diagnostic
from ..errors import AccountRulesError
from ..matching.protocol import default_backend

PREFIX = "ACCOUNTRULES_"


class SettingsError(AccountRulesError):
    """An environment variable has a value that is not allowed."""

    code = "bad-setting"


class Settings(BaseModel):
    """Everything the server can be told, with its default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: str | None = Field(default=None, description="Rulebook directory (default: bundled).")
    backend: Literal["durable", "python"] = Field(
        default_factory=default_backend,
        description="Matcher: durable where durable-rules imports (Python 3.11/3.12), else python.")
    max_body_bytes: int = Field(default=MAX_BYTES, ge=1024, le=1 << 30)
    max_batch_bytes: int = Field(default=64 << 20, ge=1024, le=1 << 40)
    access_log: str = "stderr"
    records_db: str | None = None
    records_mask: str | None = None
    records_salt: str | None = None
    records_key: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read ``ACCOUNTRULES_*`` variables; ``overrides`` (not None) win over the environment.

        Raises:
            SettingsError: naming the variable, the value and what is allowed.
        """
        source = os.environ if env is None else env
        data: dict[str, object] = {}
        for name in cls.model_fields:
            value = source.get(PREFIX + name.upper())
            if value not in (None, ""):
                data[name] = value
        data.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            diags = []
            for e in exc.errors(include_url=False):
                field = str(e["loc"][0]) if e["loc"] else "?"
                var = PREFIX + field.upper()
                diags.append(Diagnostic("bad-setting", f"{var}={data.get(field)!r}: {e['msg'].lower()}.", path=var))
            raise SettingsError(diags) from None
