"""`goleash rules`: the static rules and their documentation."""

from __future__ import annotations

import click

from goleash.cli.common import user_errors
from goleash.errors import UsageError


@click.command("rules")
@click.argument("rule_id", required=False)
@click.option("--markdown", is_flag=True, help="Print every rule's documentation as Markdown.")
@user_errors
def rules(rule_id: str | None, markdown: bool) -> None:
    """List the scan rules, or print one rule's documentation."""
    from goleash.lint.rules import all_rules, rule_by_id
    from goleash.report.rule_docs import rule_table, rule_text, rules_markdown

    if markdown:
        click.echo(rules_markdown(all_rules()), nl=False)
    elif rule_id is None:
        click.echo(rule_table(all_rules()), nl=False)
    else:
        rule = rule_by_id(rule_id)
        if rule is None:
            raise UsageError(f"unknown rule {rule_id!r} (see `goleash rules`)")
        click.echo(rule_text(rule), nl=False)


command = rules
