"""Alembic's entry point: runs the migrations on the connection `Records.migrate` passes in."""

from alembic import context

from plaibot.records.tables import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata,
                  render_as_batch=True)  # batch mode: SQLite can only ALTER by copying a table
with context.begin_transaction():
    context.run_migrations()
