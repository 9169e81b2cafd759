"""Deterministic synthetic Banten data for graduasi: KPM households, pendamping, and their ODK submissions.

``generate(kpm, seed)`` builds the ground truth (households and members, baseline, what changes over 2019-2020)
and streams the server's story as events (:meth:`Dataset.events`); ``seed_central`` replays it into the ODK
Central simulator. Fixed dates only: nothing reads the wall clock. See docs/synthetic-data.md.
"""

from __future__ import annotations

from .caseload import PendampingRow
from .dataset import Dataset, generate
from .events import Delete, Edit, Event, Review, Submit
from .household import Disbursement, Household
from .people import Member
from .seed import SeedResult, seed_central, seed_demo_central
from .visits import Visit

__all__ = [
    "Dataset",
    "Delete",
    "Disbursement",
    "Edit",
    "Event",
    "Household",
    "Member",
    "PendampingRow",
    "Review",
    "SeedResult",
    "Submit",
    "Visit",
    "generate",
    "seed_central",
    "seed_demo_central",
]
