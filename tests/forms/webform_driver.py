"""Drive ODK Web Forms (the test page of tests/forms/webforms) from Playwright, the way a pendamping would.

Questions are found by the text of their label, like a person reads the screen; answers are typed or clicked;
the submitted instance XML comes back from the page's ``onSubmit``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

READY = ".form-initialization-status.ready"


@dataclass
class Submission:
    """The submitted instance: values by path from the data root (``anggota[2]/umur_tahun`` style)."""

    root: ET.Element

    @classmethod
    def parse(cls, xml: str) -> Submission:
        return cls(ET.fromstring(xml))

    def value(self, path: str) -> str | None:
        """Text of the node at ``path`` (``None`` when the node is absent: not relevant, never asked)."""
        node = self.root.find(path)
        return None if node is None else (node.text or "")

    def values(self, path: str) -> list[str]:
        """Texts of every node matching ``path`` (e.g. each repeat's field)."""
        return [n.text or "" for n in self.root.findall(path)]


class WebForm:
    """One page of the Web Forms test page with a form loaded."""

    def __init__(self, page: Page) -> None:
        self.page = page

    def load(self, xml: str, attachments: dict[str, str], preload: dict[str, str] | None = None) -> WebForm:
        """Render ``xml``; ``attachments`` answers ``jr://file-csv/NAME`` requests; ``preload`` e.g. username."""
        self.page.wait_for_function("typeof window.graduasiLoad === 'function'")
        self.page.evaluate("([x, a, p]) => window.graduasiLoad(x, a, p)", [xml, attachments, preload or {}])
        self.page.wait_for_selector(READY, state="attached", timeout=20_000)
        return self

    # --- finding ------------------------------------------------------------------------------------

    def questions(self, label: str) -> Locator:
        """Every question container whose label contains ``label`` (repeats give one per instance)."""
        return self.page.locator(".question-container", has=self.page.locator("label", has_text=label))

    def question(self, label: str, nth: int = 0) -> Locator:
        """The ``nth`` question whose label contains ``label``."""
        return self.questions(label).nth(nth)

    def shown(self, label: str, timeout: float = 2_000) -> bool:
        """Whether a question (or note) with this text is on screen (i.e. relevant), waiting for it briefly."""
        try:
            self.page.locator(".question-container", has_text=label).first.wait_for(
                state="attached", timeout=timeout
            )
        except PlaywrightTimeoutError:
            return False
        return True

    def absent(self, label: str, timeout: float = 2_000) -> bool:
        """Whether no question (or note) with this text is on screen (not relevant), waiting for it to go."""
        try:
            self.page.locator(".question-container", has_text=label).first.wait_for(
                state="detached", timeout=timeout
            )
        except PlaywrightTimeoutError:
            return False
        return True

    def text_of(self, label: str) -> str:
        """The visible text of the first container holding ``label`` (notes show their outputs this way)."""
        return self.page.locator(".question-container", has_text=label).first.inner_text()

    def error(self, label: str, nth: int = 0) -> str:
        """The constraint or required message shown under a question ('' when none)."""
        message = self.question(label, nth).locator(".validation-message")
        return message.inner_text().strip() if message.count() and message.first.is_visible() else ""

    # --- answering ----------------------------------------------------------------------------------

    def type(self, label: str, value: str | int, nth: int = 0) -> None:
        """Type into a text/number input, then leave it (Tab) so constraints run."""
        q = self.question(label, nth)
        field = q.locator("input, textarea").first
        if q.locator(".p-inputnumber").count():  # PrimeVue's number input reacts to keys, not to fill()
            field.click()
            field.press("Control+A")
            field.press("Backspace")
            field.press_sequentially(str(value))
        else:
            field.fill(str(value))
        field.press("Tab")
        self._close_popups()

    def date(self, label: str, iso: str, nth: int = 0) -> None:
        """Enter a date given as YYYY-MM-DD (the page runs in the en-US locale: MM/DD/YYYY)."""
        year, month, day = iso.split("-")
        field = self.question(label, nth).locator("input").first
        field.click()
        field.press("Control+A")
        field.press("Backspace")
        field.press_sequentially(f"{month}/{day}/{year}")
        field.press("Enter")
        self._close_popups()
        field.press("Tab")
        self._close_popups()

    def _close_popups(self) -> None:
        """Close a calendar that opened because focus reached a date question (it would cover other questions)."""
        if self.page.locator(".p-datepicker-panel").count():
            self.page.keyboard.press("Escape")
            self.page.locator(".p-datepicker-panel").first.wait_for(state="detached", timeout=2_000)

    def choose(self, label: str, *options: str, nth: int = 0) -> None:
        """Click radio buttons / checkboxes by their choice label (exact text)."""
        q = self.question(label, nth)
        for option in options:
            q.get_by_text(option, exact=True).click()

    def pick(self, label: str, option: str, nth: int = 0) -> None:
        """Choose from a dropdown (minimal/autocomplete appearance) by the option's text."""
        self.question(label, nth).locator(".p-select").first.click()
        self.page.locator("[role=option]", has_text=option).first.click()

    def input_value(self, label: str, nth: int = 0) -> str:
        """The current text of a question's input."""
        return self.question(label, nth).locator("input").first.input_value()

    def selected(self, label: str, nth: int = 0) -> str:
        """The text a dropdown shows as chosen."""
        return self.question(label, nth).locator(".p-select-label").first.inner_text().strip()

    # --- sending ------------------------------------------------------------------------------------

    def submit(self) -> Submission:
        """Press Send and return the submitted instance (fails when the form still has errors)."""
        self.page.get_by_role("button", name="Send").click()
        self.page.wait_for_function("window.graduasiSubmission !== null", timeout=5_000)
        return Submission.parse(self.page.evaluate("window.graduasiSubmission"))

    def submit_blocked(self) -> bool:
        """Press Send and report whether the form refused (errors left)."""
        self.page.get_by_role("button", name="Send").click()
        self.page.wait_for_timeout(300)
        return self.page.evaluate("window.graduasiSubmission") is None
