"""Central's error responses ("Problems", central-backend lib/util/problem.js): ``{message, code, details?}``
with the HTTP status the integer part of ``code``. The messages are Central's, word for word."""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    """An error the API reports as ``{"message", "code", "details"}``; the store raises them too."""

    def __init__(self, code: float, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details

    @property
    def status(self) -> int:
        return int(self.code)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.details is not None:
            out["details"] = self.details
        return out


class InternalError(Exception):
    """What Central answers with ``500 {"message":"Internal Server Error"}`` (e.g. a database error)."""


def _inspect(value: Any) -> str:
    # node's util.inspect for the values printPairs meets
    if value is None:
        return "null"
    if isinstance(value, str):
        return "'" + value.replace("'", "\\'") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def missing_parameters(expected: list[str], got: dict[str, Any]) -> Problem:
    pairs = ", ".join(f"{k}: {_inspect(got[k]) if k in got else 'undefined'}" for k in expected)
    present = {k: got[k] for k in expected if k in got}
    return Problem(
        400.3,
        f"Required parameters missing. Expected ({', '.join(expected)}), got ({pairs}).",
        {"expected": expected, "got": present},
    )


def missing_parameter(field: str) -> Problem:
    return Problem(400.2, f"Required parameter {field} missing.", {"field": field})


def unexpected_value(field: str, value: Any, reason: str) -> Problem:
    return Problem(
        400.8,
        f"Unexpected {field} value {value}; {reason}",
        {"field": field, "value": value, "reason": reason},
    )


def invalid_data_type(value: str, expected: str) -> Problem:
    return Problem(
        400.11,
        f'Invalid input data type: expected "{value}" to be ({expected})',
        {"value": value, "expected": expected},
    )


def invalid_parameter_type(field: str, expected: str) -> Problem:
    """400.11 naming a field (``invalidDataTypeOfParameter({ field, expected })``)."""
    return Problem(
        400.11,
        f"Invalid input data type: expected ({field}) to be ({expected})",
        {"field": field, "expected": expected},
    )


def form_warnings(warnings: dict[str, Any]) -> Problem:
    return Problem(
        400.16,
        "The Form is valid, but with warnings. Please check the warnings and if they are acceptable resubmit "
        "with ?ignoreWarnings=true",
        {"warnings": warnings},
    )


def field_type_conflict(path: str, type_: str) -> Problem:
    return Problem(
        400.17,
        f"The form you have uploaded attempts to change the type of the field at {path}. In a previous version, "
        f"it had the type {type_}. Please either return that field to its previous type, or rename the field so "
        "it lives at a new path.",
        {"path": path, "type": type_},
    )


def unparseable_odata(reason: str) -> Problem:
    return Problem(
        400.18, f"The OData filter expression you provided could not be parsed: {reason}", {"reason": reason}
    )


def expected_deprecation() -> Problem:
    return Problem(
        400.19,
        "This PUT endpoint expects a deprecatedID metadata tag pointing at the current version instanceID. "
        "I cannot find that tag in your request.",
    )


def dataset_link_not_allowed() -> Problem:
    return Problem(400.26, 'Dataset can only be linked to attachments with "Data File" type.')


def invalid_entity(reason: str) -> Problem:
    return Problem(400.28, f"The entity is invalid. {reason}", {"reason": reason})


def unexpected_attributes(expected: list[str], actual: list[str]) -> Problem:
    return Problem(
        400.31,
        f"Expected parameters: ({', '.join(expected)}). Got ({', '.join(actual)}).",
        {"expected": expected, "actual": actual},
    )


def property_not_found(prop: str) -> Problem:
    return Problem(400.23, f"Could not find a property named '{prop}'", {"property": prop})


def unsupported_select_field(prop: str) -> Problem:
    return Problem(
        400.24,
        f"The given OData select property '{prop}' uses features not supported by this server.",
        {"property": prop},
    )


def repeat_id_not_found() -> Problem:
    return Problem(400.34, "Record associated with the provided $skiptoken not found.")


def invalid_skiptoken() -> Problem:
    return Problem(400.35, "Invalid $skiptoken")


def authentication_failed() -> Problem:
    return Problem(401.2, "Could not authenticate with the provided credentials.")


def https_only() -> Problem:
    return Problem(401.3, "This authentication method is only available over HTTPS")


def insufficient_rights() -> Problem:
    return Problem(403.1, "The authentication you provided does not have rights to perform that action.")


def not_found() -> Problem:
    return Problem(404.1, "Could not find the resource you were looking for.")


def form_version_not_found(version: str) -> Problem:
    return Problem(
        404.6,
        f"The form version specified in this submission '{version}' does not exist.",
        {"formVersion": version},
    )


def unacceptable_format(allowed: list[str], got: str) -> Problem:
    return Problem(
        406.1,
        f"Requested format not acceptable; this resource allows: {','.join(allowed)}.",
        {"allowed": allowed, "got": got},
    )


def uniqueness_violation(fields: Any, values: Any) -> Problem:
    return Problem(
        409.3,
        f"A resource already exists with {fields} value(s) of {values}.",
        {"fields": fields, "values": values},
    )


def version_uniqueness(xml_form_id: str, version: str) -> Problem:
    return Problem(
        409.6,
        f"You tried to publish the form '{xml_form_id}' with version '{version}', but a published form has already "
        "existed in this project with those identifiers.",
        {"xmlFormId": xml_form_id, "version": version},
    )


def deprecating_old_submission(deprecated_id: str) -> Problem:
    return Problem(
        409.9,
        f"You tried to update a submission, but the copy you were editing ({deprecated_id}) is now out of date. "
        "Please get the new version that has been submitted, and make your edits again.",
        {"deprecatedId": deprecated_id},
    )


def no_published_version() -> Problem:
    return Problem(
        409.7,
        "Could not delete draft, because the form has not been published. Either delete the whole form, or "
        "replace the draft.",
    )


def entity_version_conflict(current: str, provided: str) -> Problem:
    return Problem(
        409.15,
        f"Current version of the Entity is '{current}' and you provided '{provided}'. Please correct the version "
        "number or pass '?force=true' in the URL to forcefully update the Entity.",
        {"current": current, "provided": provided},
    )


def dataset_name_conflict(current: str, provided: str) -> Problem:
    return Problem(
        409.16,
        f"A dataset named '{current}' exists and you provided '{provided}' with the same name but different "
        "capitalization.",
        {"current": current, "provided": provided},
    )


def entity_uuid_deleted(uuids: list[str]) -> Problem:
    return Problem(
        409.19,
        "The following UUID(s) cannot be used because they are associated with deleted Entities: "
        f"({', '.join(uuids)}).",
        {"entityUuids": uuids},
    )


def xlsform_not_configured() -> Problem:
    return Problem(
        501.3,
        "This ODK Central has not been configured to allow XLSForm conversion. Please upload an XForms XML file "
        "(try XLSForm Online) or contact your server administrator.",
    )


def not_implemented(feature: str) -> Problem:
    return Problem(
        501.1, f"The requested feature {feature} is not supported by this server.", {"feature": feature}
    )


def unsupported_odata_expression(at: int, type_: str, text: str) -> Problem:
    return Problem(
        501.4,
        f'The given OData filter expression uses features not supported by this server: {type_} at {at} ("{text}")',
        {"at": at, "type": type_, "text": text},
    )


def unsupported_odata_field(text: str, at: int | None = None) -> Problem:
    suffix = f" at {at}" if at is not None else ""
    details: dict[str, Any] = {"at": at, "text": text} if at is not None else {"text": text}
    return Problem(
        501.5,
        f"The given OData filter expression references fields not supported by this server: {text}{suffix}",
        details,
    )


def unsupported_expand(text: str) -> Problem:
    return Problem(
        501.6,
        f'The given OData expand expression is not supported by this server: "{text}". Currently, only "$expand=*" is supported.',
        {"text": text},
    )


def unsupported_select_expand() -> Problem:
    return Problem(501.11, "This server doesn't support $select query parameter with $expand.")
