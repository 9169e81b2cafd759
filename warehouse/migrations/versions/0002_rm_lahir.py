"""rm_lahir: members per kabupaten and birth date (dashboard ages on any date)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_lahir",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kode_kabupaten", sa.String(length=16), nullable=True),
        sa.Column("tanggal_lahir", sa.Date(), nullable=False),
        sa.Column("jumlah", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rm_lahir")),
    )
    op.create_index(
        "ix_rm_lahir_tanggal", "rm_lahir", ["tanggal_lahir", "kode_kabupaten", "jumlah"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_rm_lahir_tanggal", table_name="rm_lahir")
    op.drop_table("rm_lahir")
