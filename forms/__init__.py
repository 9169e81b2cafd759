"""XLSForm sources, choice lists, the field mapping and the pure form tooling (build, check).

- :mod:`forms.catalog` — where the forms live and which exist (``FORM_IDS``).
- :mod:`forms.build` — XLSForm -> XForm XML + media for ODK Central or KoboToolbox (``build_xform``).
- :mod:`forms.schema` — the fields of a built form as Central lists them (``form_fields``).
- :mod:`forms.check` — pyxform plus graduasi's rules (``check_forms``), messages with file, sheet and row.
- :mod:`forms.mapping` — ``mapping.csv``: which field feeds which warehouse attribute.
- :mod:`forms.entity` — ``entity_kpm.csv``: the properties of the ``kpm`` Entity List.
- :mod:`forms.manifest` — manifests of published versions (``published/<form_id>.json``).
- :mod:`forms.aliases` — declared renames of published fields (``<form_id>.aliases.csv``).
- :mod:`forms.xlsform` — reading workbooks row by row, content digest, the Kobo variant.

Imports nothing of ours (DESIGN.md §3); no network.
"""
