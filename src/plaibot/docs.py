"""Parts of the README generated from the code, so the two cannot drift apart.

The README's settings table is written by `cog` (https://nedbatchelder.com/code/cog/) from
`settings_table()`; `cog -r README.md` rewrites it after a setting changes, and
`tests/test_docs.py` fails while the README and `Settings` disagree.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import SecretStr
from pydantic_core import PydanticUndefined

from plaibot.config import Settings


def settings_table() -> str:
    """A Markdown table of every `PLAIBOT_*` setting: name, default and description."""
    rows = ["| setting | default | what it does |", "|---|---|---|"]
    prefix = Settings.model_config.get("env_prefix", "")
    for name, field in Settings.model_fields.items():
        default = field.default
        if default is PydanticUndefined and field.default_factory is not None:
            default = field.default_factory()  # type: ignore[call-arg]
        description = " ".join((field.description or "").split()).replace("|", "\\|")
        rows.append(f"| `{prefix.upper()}{name.upper()}` | {_shown(default)} | {description} |")
    return "\n".join(rows) + "\n"


def _shown(value: object) -> str:
    if value is None or value == [] or isinstance(value, SecretStr):
        return "(none)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dict):
        return f"`{json.dumps(value)}`"
    if isinstance(value, Path):
        return f"`{value.as_posix()}`"
    return f"`{value}`"
