"""``accountrules schema``: the JSON Schema of a case file, a recommendation or a rule file."""

from __future__ import annotations

import json

import click
from pydantic import BaseModel

from ..models import Case, Recommendation
from ..rulebook import RuleFile


@click.command("schema")
@click.argument("what", type=click.Choice(("case", "recommendation", "rulebook")))
def command(what: str) -> None:
    """Print the JSON Schema of a case file, a recommendation or a rule file."""
    models: dict[str, type[BaseModel]] = {"case": Case, "recommendation": Recommendation, "rulebook": RuleFile}
    click.echo(json.dumps(models[what].model_json_schema(), ensure_ascii=False, indent=2))
