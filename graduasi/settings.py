"""Settings of a graduasi installation, read from ``GRADUASI_*`` environment variables and an optional ``.env``.

Secrets are :class:`pydantic.SecretStr`, so printing or logging the settings never shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SourceName = Literal["central", "kobo"]
DEFAULT_DATABASE_URL = "sqlite:///instance/graduasi.db"


@dataclass(frozen=True, slots=True)
class FormRef:
    """One form to sync: where it lives (``central`` or ``kobo``) and its id (Central form id or Kobo asset uid)."""

    source: SourceName
    form_id: str

    def __str__(self) -> str:
        return f"{self.source}:{self.form_id}"


def parse_form_refs(text: str) -> list[FormRef]:
    """Parse ``GRADUASI_FORMS``: comma-separated ``source:form_id`` items, e.g. ``central:kpm_registrasi``.

    :raises ValueError: naming the item that is wrong and what a correct one looks like.
    """
    refs: list[FormRef] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        source, sep, form_id = item.partition(":")
        source, form_id = source.strip().lower(), form_id.strip()
        if not sep or source not in ("central", "kobo") or not form_id:
            raise ValueError(
                f"GRADUASI_FORMS item {item!r} is not of the form source:form_id "
                "(source is 'central' or 'kobo'), e.g. 'central:kpm_registrasi' or 'kobo:aBcDeF123'"
            )
        refs.append(FormRef(source, form_id))  # type: ignore[arg-type]
    return refs


class Settings(BaseSettings):
    """Every setting of DESIGN.md §4. Field ``x`` is read from ``GRADUASI_X``."""

    model_config = SettingsConfigDict(env_prefix="GRADUASI_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    secret_key: SecretStr | None = None
    central_url: str | None = None
    central_email: str | None = None
    central_password: SecretStr | None = None
    central_project: int | None = None
    kobo_url: str | None = None
    kobo_token: SecretStr | None = None
    forms: Annotated[list[FormRef], NoDecode] = Field(default_factory=list)
    media_dir: Path = Path("instance/media")
    timezone: str = "Asia/Jakarta"
    cookie_secure: bool = True

    @field_validator("forms", mode="before")
    @classmethod
    def _parse_forms(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_form_refs(value)
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"GRADUASI_TIMEZONE {value!r} is not a known time zone, e.g. Asia/Jakarta"
            ) from exc
        return value

    def form_refs(self, default_form_ids: list[str]) -> list[FormRef]:
        """The forms to sync: ``GRADUASI_FORMS``, or by default every form of forms/ on Central."""
        if self.forms:
            return list(self.forms)
        return [FormRef("central", form_id) for form_id in default_form_ids]
