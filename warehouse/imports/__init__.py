"""Imports of the official lists into the warehouse: KPM, pendamping (with caseload), and targets.

Each import reads an XLSX or CSV file, checks every row, writes the accepted rows in one transaction
(idempotent upserts), records an audit row, and returns an :class:`ImportResult` whose issues
:func:`write_report` turns into the validation report. See docs/imports.md.
"""

from warehouse.imports.issues import CODES, EmptySheetError, ImportFileError, ImportResult, Issue, Severity
from warehouse.imports.kpm import import_kpm
from warehouse.imports.pendamping import import_pendamping
from warehouse.imports.report import default_report_path, write_report
from warehouse.imports.targets import import_targets
from warehouse.imports.template import KINDS, write_template

__all__ = [
    "CODES",
    "KINDS",
    "EmptySheetError",
    "ImportFileError",
    "ImportResult",
    "Issue",
    "Severity",
    "default_report_path",
    "import_kpm",
    "import_pendamping",
    "import_targets",
    "write_report",
    "write_template",
]
