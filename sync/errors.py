"""Why a sync failed: transient errors (retry on the next run) versus terminal ones (a human must act)."""

from __future__ import annotations


class SyncError(Exception):
    """Base of every sync failure; ``error_class`` is what ``sync status`` and the admin show."""

    transient: bool = True

    @property
    def error_class(self) -> str:
        return type(self).__name__


class UpstreamHTTPError(SyncError):
    """The server kept answering with an error status after the retry budget was spent."""

    def __init__(self, status: int, url: str, body: str = "") -> None:
        self.status = status
        self.url = url
        super().__init__(f"HTTP {status} from {url}: {body[:300]}")

    @property
    def error_class(self) -> str:
        return f"UpstreamHTTP{self.status}"


class UpstreamUnreachable(SyncError):
    """Connection refused, reset or timed out, after the retry budget was spent."""


class UpstreamMalformed(SyncError):
    """The server answered 200 with a body that is not the JSON document expected (cut off, wrong shape)."""


class UpstreamNotJSON(SyncError):
    """The server answered 200 with something that is not JSON (an HTML error page, a captive portal)."""


class PaginationLoop(SyncError):
    """The server sent a next page link already followed in this sweep."""

    transient = False


class AuthFailed(SyncError):
    """Login refused, or a fresh session was refused again: check the credentials in the settings."""

    transient = False


class FormNotFound(SyncError):
    """The configured form does not exist on the server (or the account may not see it)."""

    transient = False


class ConfigurationError(SyncError):
    """A setting needed for the sync is missing or wrong."""

    transient = False


class StorageError(SyncError):
    """The warehouse could not be written (disk full, database locked for too long, ...)."""


class StorageFull(StorageError):
    """The disk (or the database's size limit) is full: free space, then the next run catches up."""


class DatabaseLocked(StorageError):
    """Another connection held the warehouse's write lock for longer than the worker would wait."""


class PaginationLost(SyncError):
    """Pages kept ending early (the ``$skiptoken`` anchor purged mid-sweep) even after restarting the sweep."""


class InjectedFault(SyncError):
    """A failure injected on purpose by ``GRADUASI_SYNC_FAULT`` (fault-injection tests only)."""
