"""Drop two indexes no query reads: submission by run, raw versions by logical id

Every new version of a submission wrote five index entries across ``submission`` and ``raw_submission``;
``ix_submission_run`` (the change queue says what a run changed) and ``ix_raw_submission_logical`` (versions
are found by instance id) were read by nothing, so a sync now writes three.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 09:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_run")
    with op.batch_alter_table("raw_submission", schema=None) as batch_op:
        batch_op.drop_index("ix_raw_submission_logical")


def downgrade() -> None:
    with op.batch_alter_table("raw_submission", schema=None) as batch_op:
        batch_op.create_index("ix_raw_submission_logical", ["source", "form_id", "logical_id"], unique=False)
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index("ix_submission_run", ["source", "form_id", "last_run_id"], unique=False)
