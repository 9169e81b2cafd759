"""ODK Central v2026.2 API simulator: an in-memory store served over real HTTP on loopback.

``CentralStore`` holds users, projects, forms (drafts, attachments, assignments), app users, submissions
(versions, edits, reviews, soft deletes) and Entity Lists with their entities, with Central's semantics;
``start_server`` serves it (REST, OData, sessions) with optional faults; ``replay`` rebuilds the data set of
the captured responses. See docs/simulator.md.
"""

from .entities import Dataset, Entity
from .faults import Fault, FaultContext, FaultPlan
from .problems import Problem
from .server import RequestRecord, RunningServer, start_server
from .store import Actor, CentralStore, Form, Project, Submission, SubmitItem

__all__ = [
    "Actor",
    "CentralStore",
    "Dataset",
    "Entity",
    "Fault",
    "FaultContext",
    "FaultPlan",
    "Form",
    "Problem",
    "Project",
    "RequestRecord",
    "RunningServer",
    "Submission",
    "SubmitItem",
    "start_server",
]
