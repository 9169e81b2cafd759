"""Drop ix_change_queue_form: the queue is drained in id order (its primary key), never read by form

Every changed submission wrote an entry into it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 12:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("change_queue", schema=None) as batch_op:
        batch_op.drop_index("ix_change_queue_form")


def downgrade() -> None:
    with op.batch_alter_table("change_queue", schema=None) as batch_op:
        batch_op.create_index("ix_change_queue_form", ["source", "form_id", "id"], unique=False)
