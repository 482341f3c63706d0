"""HTTP API (FastAPI, optional extra ``accountrules[server]``): ``accountrules serve``.

``create_app()`` builds the ASGI app from :class:`~accountrules.server.settings.Settings` (the
``ACCOUNTRULES_*`` environment variables), so ``uvicorn --factory accountrules.server:create_app
--workers N`` runs it. Endpoints, the problem+json errors and the settings: ``docs/contract.md`` §5.
"""

from __future__ import annotations

from .app import create_app as create_app
from .settings import Settings as Settings

__all__ = ["Settings", "create_app"]
