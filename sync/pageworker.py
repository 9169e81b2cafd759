"""Decode and prepare pages of a long sweep in a second process, while the sync writes the previous page.

A full load is two kinds of work: CPU work per row that needs no database (decoding the JSON, hashing the
payload, typing the answers: :func:`warehouse.prepare.prepare_rows`) and the database writes. In one Python
process they take turns; on a machine with two cores they can overlap, if the CPU work runs in another process
(a thread would hold the GIL against the writes, which release and retake it per row). This module is that
process and its handle:

* the child (``python -m sync.pageworker``) reads pickled messages on stdin — first the form's extractor (its
  generated source travels, see :class:`warehouse.normalise.Extractor`), then the raw bytes of pages — and
  answers each page with the decoded document's members and the prepared rows; it imports no SQLAlchemy and
  ends when stdin closes (so it never outlives a killed sync);
* :class:`PageWorker` is the sync's side: :meth:`PageWorker.parse` turns a page's bytes into a
  :class:`sync.odata.ParsedDocument` whose ``prepared`` holds the loader's input, in the child once
  :meth:`PageWorker.start` has been called, in this process before that or if the child fails (a warning is
  logged and the sync goes on, slower: nothing depends on the child but speed).

A malformed page is reported as :class:`sync.errors.UpstreamMalformed`, wherever it was decoded, so the
client's retry of a bad body works the same.
"""

from __future__ import annotations

import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sync.errors import UpstreamMalformed
from sync.odata import ParsedDocument, parse_document
from warehouse.normalise import Extractor
from warehouse.prepare import PreparedPage, RowPreparer, prepare_rows

log = logging.getLogger(__name__)
_LENGTH = struct.Struct("<Q")

_ROOT = Path(__file__).resolve().parents[1]
#: How long closing waits for the child to end by itself before killing it.
CLOSE_TIMEOUT = 5.0


def prepare_document(extractor: Extractor, raw: bytes | str) -> ParsedDocument:
    """Decode an OData page and prepare its rows (``prepared``); ``rows`` keeps the decoded rows."""
    doc = parse_document(raw)
    doc.prepared = prepare_rows(extractor, doc.rows, doc.texts)
    return doc


@dataclass(slots=True)
class Answer:
    """The child's answer to a page, still pickled, or (``frame`` None: the child is gone) the page's bytes."""

    frame: bytes | None
    raw: bytes | None


#: The largest peak memory (KiB) a page worker of this process reported when it was closed (benchmarks).
largest_peak_kib = 0


def peak_kib() -> int:
    """This process's peak resident memory in KiB (``VmHWM``: unlike ``ru_maxrss``, it does not include the
    image of the process that started this one)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _write_frame(stream: IO[bytes], data: bytes) -> None:
    stream.write(_LENGTH.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> bytes:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("the page worker closed its output")
    (size,) = _LENGTH.unpack(head)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the page worker's answer was cut short")
    return data


class PageWorker:
    """Prepares a form's pages, in a child process once started (see the module docstring).

    Usable from two threads (the sync's and the client's prefetch thread): one page is in the child at a time.
    """

    def __init__(self, extractor: Extractor) -> None:
        self.extractor = extractor
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self.pages_elsewhere = 0

    @property
    def offloaded(self) -> bool:
        """Whether pages are prepared in the child (then waiting for one costs this process no CPU)."""
        return self._proc is not None

    def __enter__(self) -> PageWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the child (a no-op when running); pages from now on are prepared there."""
        with self._lock:
            if self._proc is not None:
                return
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_ROOT), env.get("PYTHONPATH", "")) if p)
            try:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "sync.pageworker"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    env=env,
                )
                assert proc.stdin is not None
                _write_frame(proc.stdin, pickle.dumps(("extractor", self.extractor), pickle.HIGHEST_PROTOCOL))
            except OSError as exc:
                log.warning("pages are prepared in this process: the page worker did not start (%s)", exc)
                return
            self._proc = proc

    def submit(self, raw: bytes) -> Answer:
        """Hand a page to the child and wait for its answer, undecoded (called by the client's prefetch thread:
        it only waits on pipes, so it holds the GIL as little as possible while the sync writes).

        The page's bytes are kept only if the child is gone (they are then prepared here).
        """
        with self._lock:
            frame = self._ask(raw)
        return Answer(frame, None if frame is not None else raw)

    def parse(self, raw: bytes | Answer) -> ParsedDocument:
        """The page decoded and prepared (``raw`` may be the child's :class:`Answer`, from :meth:`submit`).

        :raises UpstreamMalformed: when the bytes are not a whole OData document.
        """
        data: bytes | None
        if isinstance(raw, Answer):
            frame, data = raw.frame, raw.raw
        else:
            data = raw
            with self._lock:
                frame = self._ask(raw)
        if frame is not None:
            reply = pickle.loads(frame)
            del frame
            kind = reply[0]
            if kind == "ok":
                _kind, members, has_value, records, outs = reply
                self.pages_elsewhere += 1
                return ParsedDocument(
                    rows=records, members=members, has_value=has_value, prepared=PreparedPage(records, outs)
                )
            if kind == "malformed":
                raise UpstreamMalformed(reply[1])
            if data is None:  # its bytes are gone: the client asks for the page again, prepared here then
                raise UpstreamMalformed(f"the page worker could not prepare the page ({reply[1]})")
            log.warning("the page worker failed on a page (%s); preparing it here", reply[1])
        assert data is not None
        return prepare_document(self.extractor, data)

    def _ask(self, raw: bytes) -> bytes | None:
        """The child's answer to a page, as the pickled bytes it sent (None if the child is gone)."""
        proc = self._proc
        if proc is None:
            return None
        try:
            assert proc.stdin is not None and proc.stdout is not None
            _write_frame(proc.stdin, pickle.dumps(("page", raw), protocol=pickle.HIGHEST_PROTOCOL))
            return _read_frame(proc.stdout)
        except (OSError, EOFError, ValueError) as exc:
            log.warning(
                "the page worker stopped (%s: %s); pages are prepared in this process from now on",
                type(exc).__name__,
                exc,
            )
            self._stop(proc)
            return None

    def _stop(self, proc: subprocess.Popen[bytes]) -> None:
        self._proc = None
        for stream in (proc.stdin, proc.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        try:
            proc.wait(CLOSE_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def close(self) -> None:
        """End the child (closing its stdin ends it), noting its peak memory in :data:`largest_peak_kib`."""
        global largest_peak_kib
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            try:
                assert proc.stdin is not None and proc.stdout is not None
                _write_frame(proc.stdin, pickle.dumps(("peak", None)))
                largest_peak_kib = max(largest_peak_kib, int(pickle.loads(_read_frame(proc.stdout))))
            except (OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
                pass  # only a statistic
            self._stop(proc)


def serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """The child's loop: an extractor, then pages, until stdin closes."""
    extractor: Extractor | None = None
    while True:
        try:
            kind, body = pickle.loads(_read_frame(stdin))
        except EOFError:
            return
        if kind == "extractor":
            extractor = body
            continue
        if kind == "peak":
            _write_frame(stdout, pickle.dumps(peak_kib()))
            continue
        reply: tuple[Any, ...]
        try:
            if extractor is None:
                raise RuntimeError("no extractor was sent before the first page")
            # row by row: a page's decoded rows are never all in memory, only its prepared rows
            preparer = RowPreparer(extractor)
            doc = parse_document(body, on_row_text=preparer.add)
            body = None
            reply = ("ok", doc.members, doc.has_value, preparer.records, preparer.outs)
            del doc, preparer
        except UpstreamMalformed as exc:
            reply = ("malformed", str(exc))
        except Exception as exc:  # the parent prepares the page itself and says why
            reply = ("error", f"{type(exc).__name__}: {exc}"[:500])
        body = None
        _write_frame(stdout, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        del reply


if __name__ == "__main__":
    # stdout carries the replies: nothing else may write to it
    _out = sys.stdout.buffer
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, _out)
