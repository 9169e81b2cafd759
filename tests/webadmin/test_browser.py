"""A staff member's journeys in a real browser (Playwright driving Debian's chromium) against the admin served
over loopback HTTP: log in, read the dashboard, change the as-of date, switch to English, log out; and, with
read models, read the categories, open the pendamping table from the header, sort by a column, go to page 2."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect
from sqlalchemy import Engine

from tests.webadmin.support import (
    PASSWORD,
    AdminTestSettings,
    add_user,
    rm_row,
    seed_kpm,
    seed_pendamping_table,
    seed_regions,
    seed_rm_wilayah,
)
from webadmin import ServerThread, create_app

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


@pytest.fixture
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's chromium, headless; Playwright's launch gives it a fresh temporary profile of its own."""
    browser = playwright_driver.chromium.launch(
        executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def server(sqlite_url: str, sqlite_engine: Engine) -> Iterator[str]:
    seed_regions(sqlite_engine)
    seed_kpm(sqlite_engine, "PDG-1", "3601", [date(2013, 12, 31), date(2020, 12, 31), date(1980, 5, 1)])
    seed_kpm(sqlite_engine, "PDG-2", "3601", [date(2002, 1, 1), date(2016, 1, 1)])
    seed_kpm(
        sqlite_engine, "LBK-1", "3602", [date(2018, 7, 1), date(2008, 3, 3)], registered=date(2019, 2, 1)
    )
    add_user(sqlite_engine, "siti", full_name="Siti Rahmawati")
    app = create_app(AdminTestSettings(sqlite_url), engine=sqlite_engine)
    with ServerThread(app) as running:
        yield running.url


def row(page: Page, heading: str, table: str = "table.data") -> list[str]:
    cells = page.locator(f"{table} tr", has=page.locator(f'th[scope="row"]:text-is("{heading}")')).locator(
        "td"
    )
    return [c.strip() for c in cells.all_inner_texts()]


CATEGORIES = {"sangat_miskin": 40, "miskin": 30, "hampir_miskin": 20, "rentan_miskin": 6, "calon_graduasi": 4}


@pytest.fixture
def summarised_server(sqlite_url: str, sqlite_engine: Engine) -> Iterator[str]:
    """The admin over read models: 75 pendamping (two pages) and the category mix of Pandeglang."""
    seed_pendamping_table(sqlite_engine, kpm=100, **CATEGORIES)
    seed_rm_wilayah(
        sqlite_engine,
        [
            rm_row(
                kode="3601",
                tingkat="kabupaten",
                kode_induk="36",
                nama="Kabupaten Pandeglang",
                kpm=100,
                **CATEGORIES,
            )
        ],
    )
    add_user(sqlite_engine, "siti", full_name="Siti Rahmawati")
    app = create_app(AdminTestSettings(sqlite_url), engine=sqlite_engine)
    with ServerThread(app) as running:
        yield running.url


def log_in(page: Page, server: str) -> None:
    page.goto(server + "/")
    page.get_by_label("Nama pengguna").fill("siti")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page).to_have_url(server + "/")


def test_journey__login_dashboard_date_language_logout(browser: Browser, server: str) -> None:
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
    page = context.new_page()
    blocked_scripts: list[str] = []
    page.on(
        "console",
        lambda msg: blocked_scripts.append(msg.text) if "Content Security Policy" in msg.text else None,
    )

    page.goto(server + "/")
    expect(page).to_have_url(server + "/login?next=%2F")
    page.get_by_label("Nama pengguna").fill("siti")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()

    expect(page).to_have_url(server + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dasbor provinsi")
    expect(page.locator("header")).to_contain_text("Siti Rahmawati")
    expect(page.locator("p.as-of")).to_have_text("Umur dihitung per 31 Des 2020")
    assert row(page, "Kabupaten Pandeglang") == ["2", "2", "2"]
    assert row(page, "Kabupaten Lebak") == ["1", "1", "1"]
    assert row(page, "Jumlah") == ["3", "3", "3"]

    page.get_by_label("Hitung umur per tanggal").fill("2014-01-01")
    page.get_by_role("button", name="Tampilkan").click()
    expect(page).to_have_url(server + "/?per=2014-01-01")
    expect(page.locator("p.as-of")).to_have_text("Umur dihitung per 1 Jan 2014")
    assert row(page, "Kabupaten Pandeglang") == ["2", "1", "1"]
    assert row(page, "Jumlah") == ["3", "1", "1"]

    page.get_by_role("button", name="English").click()
    expect(page).to_have_url(server + "/?per=2014-01-01")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("p.as-of")).to_have_text("Ages as of 1 Jan 2014")
    assert row(page, "Total") == ["3", "1", "1"]

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(server + "/login")
    expect(page.locator(".flash")).to_have_text("You have logged out.")
    page.goto(server + "/")
    expect(page).to_have_url(server + "/login?next=%2F")

    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["graduasi_session"]["httpOnly"] is True
    assert cookies["graduasi_session"]["sameSite"] == "Lax"
    assert blocked_scripts == []
    context.close()


def test_csp__injected_inline_script__blocked_by_the_browser(browser: Browser, server: str) -> None:
    """Should not run an inline script even if markup got into a page (CSP script-src 'self')."""
    context = browser.new_context(locale="id-ID")
    page = context.new_page()
    page.goto(server + "/login")
    page.evaluate(
        """() => {
            const s = document.createElement('script');
            s.textContent = 'window.__ran = true';
            document.body.appendChild(s);
        }"""
    )
    assert page.evaluate("() => window.__ran === true") is False
    context.close()


def test_journey__categories_then_pendamping_sorted_and_page_two(
    browser: Browser, summarised_server: str
) -> None:
    server = summarised_server
    context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta")
    page = context.new_page()
    blocked: list[str] = []
    page.on(
        "console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    log_in(page, server)

    expect(page.locator("p.data-date")).to_contain_text("Data per 26 Des 2020")
    expect(page.locator("p.as-of")).to_have_text("Umur dihitung per 26 Des 2020")
    expect(page.get_by_role("heading", name="Kategori kesejahteraan")).to_be_visible()
    assert row(page, "Kabupaten Pandeglang", "#kategori") == ["100", "40", "30", "20", "6", "4", "0"]
    bar = page.get_by_role("img", name=re.compile("KPM menurut kategori, provinsi"))
    expect(bar).to_be_visible()
    expect(bar.locator("rect")).to_have_count(5)
    expect(page.locator(".legend li").first).to_have_text("Sangat miskin: 40 (40%)")

    page.get_by_role("navigation", name="Menu utama").get_by_role("link", name="Pendamping").click()
    expect(page).to_have_url(server + "/pendamping")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pendamping")
    expect(page.locator("#pendamping tbody tr")).to_have_count(50)
    expect(page.locator("#pendamping tbody tr").first.locator("th")).to_have_text("Ade Rahmawati")

    page.locator("#pendamping thead").get_by_role("link", name="KPM").click()
    expect(page).to_have_url(server + "/pendamping?sort=kpm&desc=1")
    expect(page.locator('#pendamping th[aria-sort="descending"]')).to_contain_text("KPM")
    first_ids = page.locator("#pendamping tbody tr td.code").all_inner_texts()
    assert first_ids[:3] == ["PD-3673-002", "PD-3673-001", "PD-3601-001"]

    page.get_by_role("navigation", name="Halaman").get_by_role("link", name="Halaman 2").click()
    expect(page).to_have_url(server + "/pendamping?sort=kpm&desc=1&page=2")
    expect(page.locator("#pendamping caption")).to_contain_text("halaman 2 dari 2")
    expect(page.locator("#pendamping tbody tr")).to_have_count(25)
    second_ids = page.locator("#pendamping tbody tr td.code").all_inner_texts()
    assert not set(first_ids) & set(second_ids)
    kpm = [
        int(t.replace(".", ""))
        for t in page.locator("#pendamping tbody tr td:nth-child(4)").all_inner_texts()
    ]
    assert kpm == sorted(kpm, reverse=True)

    page.get_by_label("Kabupaten/kota").select_option(label="Kabupaten Lebak")
    page.get_by_role("button", name="Saring").click()
    expect(page).to_have_url(re.compile(r"/pendamping\?sort=kpm&desc=1&q=&kab=3602&kec=$"))
    expect(page.locator("#pendamping tbody tr")).to_have_count(12)
    assert blocked == []
    context.close()
