"""Find raw versions by an 8-byte key instead of a unique (source, form_id, instance_id) index

The text index held ~70 bytes per version; a long load inserted into it at random keys, and once it outgrew
the page cache every insert read and rewrote a page of it. ``version_key`` (warehouse.prepare.version_key) is
an 8-byte hash of the same three values with a plain index; lookups compare the instance id too, and the loader
stores each version once.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from warehouse.prepare import version_key

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    op.add_column("raw_submission", sa.Column("version_key", sa.BigInteger(), nullable=True))
    conn = op.get_bind()
    raw = sa.table(
        "raw_submission",
        sa.column("id", sa.BigInteger()),
        sa.column("source", sa.String()),
        sa.column("form_id", sa.String()),
        sa.column("instance_id", sa.String()),
        sa.column("version_key", sa.BigInteger()),
    )
    after = None
    while True:  # by id, in batches: a large warehouse is keyed without holding its versions in memory
        query = (
            sa.select(raw.c.id, raw.c.source, raw.c.form_id, raw.c.instance_id)
            .order_by(raw.c.id)
            .limit(BATCH)
        )
        if after is not None:
            query = query.where(raw.c.id > after)
        rows = conn.execute(query).all()
        if not rows:
            break
        conn.execute(
            raw.update().where(raw.c.id == sa.bindparam("row_id")).values(version_key=sa.bindparam("key")),
            [{"row_id": r.id, "key": version_key(r.source, r.form_id, r.instance_id)} for r in rows],
        )
        after = rows[-1].id
    with op.batch_alter_table("raw_submission", schema=None) as batch_op:
        batch_op.alter_column("version_key", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_constraint("uq_raw_submission_version", type_="unique")
        batch_op.create_index("ix_raw_submission_version_key", ["version_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("raw_submission", schema=None) as batch_op:
        batch_op.drop_index("ix_raw_submission_version_key")
        batch_op.create_unique_constraint("uq_raw_submission_version", ["source", "form_id", "instance_id"])
        batch_op.drop_column("version_key")
