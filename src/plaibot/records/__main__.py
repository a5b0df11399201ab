"""`python -m plaibot.records revision "knowledge gaps"`: write the next migration from the
difference between `tables.py` and the migrations so far (compared on a scratch SQLite file).
Review what it wrote: Alembic sees tables and columns, not every constraint."""

from __future__ import annotations

import sys
import tempfile

from plaibot.records import MIGRATIONS, Records, alembic_config


def revision(message: str) -> None:
    from alembic import command

    number = f"{len(list((MIGRATIONS / 'versions').glob('[0-9]*.py'))) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        records = Records(f"sqlite:///{scratch}/scratch.sqlite3")
        records.migrate()
        with records.engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.revision(config, message=message, autogenerate=True, rev_id=number)
        records.close()


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "revision":
        sys.exit(__doc__)
    revision(sys.argv[2])
