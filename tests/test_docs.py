"""The docs cover every command and every setting."""

from __future__ import annotations

import re

import click
import pytest
from conftest import REPO

from newsletter.cli import cli
from newsletter.config import KNOWN_KEYS

CLI_DOC = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
CONFIG_DOC = (REPO / "docs" / "config.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "newsletter") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix} {name}", command))
        if isinstance(command, click.Group):
            found.extend(commands(command, f"{prefix} {name}"))
    return found


@pytest.mark.parametrize(("name", "command"), commands(cli))
def test_every_command_has_help_and_a_section_in_the_docs(name: str, command: click.Command) -> None:
    assert command.help, f"{name} has no help text"
    assert f"## {name}\n" in CLI_DOC, f"docs/cli.md has no '## {name}' section"
    for parameter in command.params:
        if isinstance(parameter, click.Option):
            assert parameter.help, f"{name} {parameter.opts[0]} has no help text"
            assert f"`{parameter.opts[0]}" in CLI_DOC, f"docs/cli.md misses {parameter.opts[0]}"


@pytest.mark.parametrize(("table", "key"), [
    (table, key) for table, keys in KNOWN_KEYS.items() if table for key in sorted(keys)
])
def test_every_setting_is_documented(table: str, key: str) -> None:
    section = CONFIG_DOC.split(f"## `[{table}]`", 1)
    assert len(section) == 2, f"docs/config.md has no [{table}] section"
    assert re.search(rf"^\| `{key}` \|", section[1].split("\n## ", 1)[0], re.MULTILINE), \
        f"docs/config.md does not document {table}.{key}"
