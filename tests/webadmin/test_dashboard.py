"""The dashboard page: role scoping, Indonesian and English number and date formats, the as-of date (default,
chosen, invalid), data freshness, and the read-model part — categories, movement, graduations against target,
tranche progress, the category bar — from inserted read-model rows and from the whole synced pipeline checked
against the generator's ground truth (webadmin/dashboard.py over warehouse/queries.py)."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, insert, update

from tests.webadmin.support import (
    KABUPATEN,
    MovableClock,
    add_user,
    csrf_token,
    login,
    post_with_token,
    rm_row,
    seed_kpm,
    seed_regions,
    seed_rm_wilayah,
    table_by_heading,
    table_rows,
)
from warehouse.db import session_factory
from warehouse.models import AdminUser, Kpm, SyncRun
from warehouse.queries import RegionSummary
from webadmin.dashboard import BAR_WIDTH, category_bar, tranche_label

_ROW = re.compile(
    r'<th scope="row">([^<]*)</th>\s*<td class="num">([^<]*)</td>\s*<td class="num">([^<]*)</td>\s*'
    r'<td class="num">([^<]*)</td>'
)


def table(page: str) -> dict[str, tuple[str, str, str]]:
    """The dashboard table as {row heading: (KPM, school-age, toddlers)} with the numbers as shown."""
    return {
        html.unescape(name): (kpm, school, toddlers) for name, kpm, school, toddlers in _ROW.findall(page)
    }


@pytest.fixture
def seeded(sqlite_engine: Engine) -> Engine:
    """Three kabupaten with KPM whose members' ages as of 31 Dec 2020 are known.

    Pandeglang: 2 KPM, school-age 2 (ages 7 and 18), toddlers 2 (ages 0 and 4), plus ages 5, 19 and 40.
    Lebak: 1 KPM with one toddler (age 2) and one school child (age 12). Kota Serang: none.
    """
    seed_regions(sqlite_engine)
    seed_kpm(sqlite_engine, "PDG-1", "3601", [date(2013, 12, 31), date(2020, 12, 31), date(1980, 5, 1)])
    seed_kpm(sqlite_engine, "PDG-2", "3601", [date(2002, 1, 1), date(2016, 1, 1), date(2015, 12, 31)])
    seed_kpm(sqlite_engine, "PDG-3", "3601", [date(2001, 12, 31), None], registered=date(2020, 6, 1))
    seed_kpm(
        sqlite_engine, "LBK-1", "3602", [date(2018, 7, 1), date(2008, 3, 3)], registered=date(2019, 2, 1)
    )
    return sqlite_engine


def test_dashboard__province_admin__every_kabupaten_and_totals(client: FlaskClient, seeded: Engine) -> None:
    add_user(seeded, "prov")
    login(client, "prov")
    page = client.get("/").text
    assert table(page) == {
        "Kabupaten Pandeglang": ("3", "2", "2"),
        "Kabupaten Lebak": ("1", "1", "1"),
        "Kota Serang": ("0", "0", "0"),
        "Jumlah": ("4", "3", "3"),
    }
    assert "Umur dihitung per 31 Des 2020" in page
    assert "Dasbor provinsi" in page


@pytest.mark.parametrize(
    ("role", "kode", "visible"),
    [
        ("kabupaten_operator", "3601", "Kabupaten Pandeglang"),
        ("viewer", "3602", "Kabupaten Lebak"),
    ],
)
def test_dashboard__kabupaten_scoped_user__own_kabupaten_only(
    client: FlaskClient, seeded: Engine, role: str, kode: str, visible: str
) -> None:
    """Should show a scoped user their kabupaten alone, totals included, and no other region's name."""
    add_user(seeded, "scoped", role=role, kode_kabupaten=kode)
    login(client, "scoped")
    page = client.get("/").text
    rows = table(page)
    assert set(rows) == {visible, "Jumlah"}
    assert rows["Jumlah"] == rows[visible]
    for other in set(KABUPATEN.values()) - {visible}:
        assert other not in page
    assert f"Dasbor {visible}" in page


def test_dashboard__province_viewer__whole_province(client: FlaskClient, seeded: Engine) -> None:
    add_user(seeded, "view", role="viewer")
    login(client, "view")
    assert table(client.get("/").text)["Jumlah"] == ("4", "3", "3")


def test_dashboard__kpm_without_kabupaten__own_row_for_the_province_only(
    client: FlaskClient, seeded: Engine
) -> None:
    seed_kpm(seeded, "X-1", None, [date(2010, 1, 1)])
    add_user(seeded, "prov")
    add_user(seeded, "op", role="kabupaten_operator", kode_kabupaten="3601")
    login(client, "prov")
    rows = table(client.get("/").text)
    assert rows["Tanpa kabupaten"] == ("1", "1", "0")
    assert rows["Jumlah"] == ("5", "4", "3")
    post_with_token(client, "/logout", {})
    login(client, "op")
    assert "Tanpa kabupaten" not in table(client.get("/").text)


def test_dashboard__thousands__indonesian_then_english_grouping(
    client: FlaskClient, sqlite_engine: Engine
) -> None:
    seed_regions(sqlite_engine)
    with session_factory(sqlite_engine)() as db:
        db.execute(
            insert(Kpm),
            [
                {"id_kpm": f"K{i:05d}", "kode_kabupaten": "3601", "tanggal_registrasi": date(2020, 12, 31)}
                for i in range(1234)
            ],
        )
        db.commit()
    add_user(sqlite_engine, "prov")
    login(client, "prov")
    assert table(client.get("/").text)["Kabupaten Pandeglang"][0] == "1.234"
    post_with_token(client, "/bahasa", {"lang": "en", "next": "/"})
    page = client.get("/").text
    assert table(page)["Kabupaten Pandeglang"][0] == "1,234"
    assert "Ages as of 31 Dec 2020" in page
    assert table(page)["Total"][0] == "1,234"


def test_dashboard__chosen_date__ages_recomputed(client: FlaskClient, seeded: Engine) -> None:
    add_user(seeded, "prov")
    login(client, "prov")
    page = client.get("/?per=2014-01-01").text
    assert "Umur dihitung per 1 Jan 2014" in page
    assert 'value="2014-01-01"' in page
    assert "Kembali ke tanggal bawaan, 31 Des 2020" in page
    # as of 1 Jan 2014: the child born 31 Dec 2013 is a toddler (0), those of 2001/2002 are 12, the ones born
    # in 2015 and later are not born yet, and Lebak's child of 2008 is 5 (neither band)
    assert table(page) == {
        "Kabupaten Pandeglang": ("3", "2", "1"),
        "Kabupaten Lebak": ("1", "0", "0"),
        "Kota Serang": ("0", "0", "0"),
        "Jumlah": ("4", "2", "1"),
    }


@pytest.mark.parametrize(
    "bad", ["31-12-2020", "2020-02-30", "1800-01-01", "kemarin", "20201231", "2020-W01-1"]
)
def test_dashboard__invalid_date__indonesian_message_and_default(
    client: FlaskClient, seeded: Engine, bad: str
) -> None:
    add_user(seeded, "prov")
    login(client, "prov")
    response = client.get("/", query_string={"per": bad})
    assert response.status_code == 200
    page = html.unescape(response.text)
    assert f"“{bad}” bukan tanggal yang valid" in page
    assert "Gunakan bentuk TTTT-BB-HH" in page
    assert "Umur dihitung per 31 Des 2020" in page
    assert table(response.text)["Jumlah"] == ("4", "3", "3")


def test_dashboard__empty_date__default_without_message(client: FlaskClient, seeded: Engine) -> None:
    add_user(seeded, "prov")
    login(client, "prov")
    page = client.get("/?per=").text
    assert "bukan tanggal yang valid" not in page
    assert "Umur dihitung per 31 Des 2020" in page


def test_dashboard__no_kpm__default_is_today_in_wib(
    client: FlaskClient, sqlite_engine: Engine, clock: MovableClock
) -> None:
    """Should take today's date in Asia/Jakarta: 20:00 UTC on 28 Nov is already 29 Nov in WIB."""
    clock.current = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
    add_user(sqlite_engine, "prov")
    login(client, "prov")
    page = client.get("/").text
    assert "Umur dihitung per 29 Nov 2026" in page
    assert "Belum ada data KPM." in page
    assert table(page) == {"Jumlah": ("0", "0", "0")}


def test_dashboard__sync_runs__last_success_per_form_in_wib(
    client: FlaskClient, sqlite_engine: Engine
) -> None:
    with session_factory(sqlite_engine)() as db:
        for form_id, status, finished in [
            ("kpm_registrasi", "ok", datetime(2026, 11, 27, 23, 0)),
            ("kpm_registrasi", "ok", datetime(2026, 11, 28, 3, 15)),
            ("kpm_registrasi", "failed", datetime(2026, 11, 28, 4, 0)),
            ("kpm_kunjungan", "failed", datetime(2026, 11, 28, 4, 0)),
        ]:
            db.add(
                SyncRun(
                    source="central",
                    form_id=form_id,
                    status=status,
                    started_at=finished,
                    finished_at=finished,
                )
            )
        db.commit()
    add_user(sqlite_engine, "prov")
    login(client, "prov")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/").text))
    assert "Sinkronisasi terakhir: kpm_kunjungan belum pernah · kpm_registrasi 28 Nov 2026 10.15 WIB" in text


def test_dashboard__no_sync_yet__never(client: FlaskClient, sqlite_engine: Engine) -> None:
    add_user(sqlite_engine, "prov")
    login(client, "prov")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", client.get("/").text))
    assert "Sinkronisasi terakhir: belum pernah" in text


def test_dashboard__accept_language_english__english_page(client: FlaskClient, seeded: Engine) -> None:
    add_user(seeded, "prov")
    login(client, "prov")
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert '<html lang="en">' in page
    assert "Ages as of 31 Dec 2020" in page
    assert "Province dashboard" in page
    indonesian = client.get("/", headers={"Accept-Language": "id-ID,id;q=0.9,en;q=0.5"}).text
    assert "Umur dihitung per 31 Des 2020" in indonesian


def test_dashboard__language_choice__beats_accept_language_and_survives_login(
    client: FlaskClient, seeded: Engine
) -> None:
    add_user(seeded, "prov")
    english = {"Accept-Language": "en"}
    client.get("/login", headers=english)
    token = csrf_token(client)
    response = client.post(
        "/bahasa", data={"csrf_token": token, "lang": "id", "next": "/login"}, headers=english
    )
    assert response.headers["Location"] == "/login"
    assert "Nama pengguna" in client.get("/login", headers=english).text
    login(client, "prov")
    assert "Umur dihitung per" in client.get("/", headers=english).text


def test_language_switch__foreign_next__stays_on_site(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/bahasa", data={"csrf_token": token, "lang": "en", "next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(("role", "kode"), [("kabupaten_operator", None), ("superuser", "3601")])
def test_dashboard__inconsistent_account__403_not_the_province(
    client: FlaskClient, seeded: Engine, role: str, kode: str | None
) -> None:
    """Should deny an account edited into a state create_user refuses, rather than show it everything."""
    add_user(seeded, "odd", role="viewer")
    with session_factory(seeded)() as db:
        db.execute(update(AdminUser).values(role=role, kode_kabupaten=kode))
        db.commit()
    login(client, "odd")
    response = client.get("/")
    assert response.status_code == 403
    assert "Kabupaten Pandeglang" not in response.text
    assert "Tidak diizinkan" in response.text


# --- the read-model part: categories, movement, graduation, tranches ------------------------------------------

OTHER = "Tanpa kabupaten atau kabupaten tak dikenal"
PANDEGLANG_RM = {
    "kpm": 1234,
    "anak_sekolah": 2000,
    "balita": 300,
    "sangat_miskin": 600,
    "miskin": 400,
    "hampir_miskin": 150,
    "rentan_miskin": 50,
    "calon_graduasi": 30,
    "tanpa_kategori": 4,
    "naik_kategori": 120,
    "turun_kategori": 30,
    "layak_graduasi": 12,
    "graduasi": 3,
    "target_graduasi": 5,
}
LEBAK_RM = {
    "kpm": 10,
    "anak_sekolah": 20,
    "balita": 4,
    "sangat_miskin": 3,
    "miskin": 4,
    "hampir_miskin": 2,
    "rentan_miskin": 1,
    "naik_kategori": 2,
    "turun_kategori": 1,
    "layak_graduasi": 1,
}


@pytest.fixture
def summarised(seeded: Engine) -> Engine:
    """The seeded registry plus read models whose numbers differ from it (so the page's source shows): Pandeglang
    1,234 KPM with a target, Lebak 10 without, Kota Serang none, and 6 KPM of no known kabupaten."""
    tahap_pdg = {
        "2019-1": {"diterima": 1200, "masalah": 20, "belum_dikonfirmasi": 14},
        "2020-sekaligus": {"diterima": 1000, "masalah": 4, "belum_dikonfirmasi": 230},
    }
    tahap_lbk = {
        "2019-1": {"diterima": 8, "masalah": 1, "belum_dikonfirmasi": 1},
        "2020-sekaligus": {"diterima": 6, "masalah": 0, "belum_dikonfirmasi": 4},
    }
    province = {k: PANDEGLANG_RM.get(k, 0) + LEBAK_RM.get(k, 0) for k in {*PANDEGLANG_RM, *LEBAK_RM}}
    province.update(kpm=1250, anak_sekolah=2030, balita=306, tanpa_kategori=10, target_graduasi=5)
    seed_rm_wilayah(
        seeded,
        [
            rm_row(
                kode="36",
                tingkat="provinsi",
                kode_induk=None,
                nama="Banten",
                tahap={
                    "2019-1": {"diterima": 1211, "masalah": 21, "belum_dikonfirmasi": 18},
                    "2020-sekaligus": {"diterima": 1006, "masalah": 4, "belum_dikonfirmasi": 240},
                },
                **province,
            ),
            rm_row(
                kode="3601",
                tingkat="kabupaten",
                kode_induk="36",
                nama="Kabupaten Pandeglang",
                tahap=tahap_pdg,
                **PANDEGLANG_RM,
            ),
            rm_row(
                kode="3602",
                tingkat="kabupaten",
                kode_induk="36",
                nama="Kabupaten Lebak",
                tahap=tahap_lbk,
                **LEBAK_RM,
            ),
            rm_row(kode="360101", tingkat="kecamatan", kode_induk="3601", nama="Sumur", kpm=1234),
        ],
    )
    return seeded


def test_dashboard__read_models__categories_movement_graduation_tranches(
    client: FlaskClient, summarised: Engine
) -> None:
    add_user(summarised, "prov")
    login(client, "prov")
    page = client.get("/").text
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Data per 26 Des 2020 · ringkasan dihitung 28 Nov 2026 10.15 WIB" in text
    # one reference date: the ages are as of the read models' date, and their counts come from them
    assert "Umur dihitung per 26 Des 2020" in page
    assert 'name="per" value="2020-12-26"' in page
    assert table_by_heading(page, "umur") == {
        "Kabupaten Pandeglang": ["1.234", "2.000", "300"],
        "Kabupaten Lebak": ["10", "20", "4"],
        "Kota Serang": ["0", "0", "0"],
        OTHER: ["6", "10", "2"],
        "Jumlah": ["1.250", "2.030", "306"],
    }
    assert table_rows(page, "kategori", ["thead"]) == [
        [
            "Kabupaten/kota",
            "KPM",
            "Sangat miskin",
            "Miskin",
            "Hampir miskin",
            "Rentan miskin",
            "Calon graduasi",
            "Belum dinilai",
        ]
    ]
    assert table_by_heading(page, "kategori") == {
        "Kabupaten Pandeglang": ["1.234", "600", "400", "150", "50", "30", "4"],
        "Kabupaten Lebak": ["10", "3", "4", "2", "1", "0", "0"],
        "Kota Serang": ["0", "0", "0", "0", "0", "0", "0"],
        OTHER: ["6", "0", "0", "0", "0", "0", "6"],
        "Jumlah": ["1.250", "603", "404", "152", "51", "30", "10"],
    }
    assert table_by_heading(page, "graduasi") == {
        "Kabupaten Pandeglang": ["120", "30", "12", "3 / 5", "60%"],
        "Kabupaten Lebak": ["2", "1", "1", "0 / –", "–"],
        "Kota Serang": ["0", "0", "0", "0 / –", "–"],
        OTHER: ["0", "0", "0", "0 / –", "–"],
        "Jumlah": ["122", "31", "13", "3 / 5", "60%"],
    }
    assert table_rows(page, "penyaluran", ["thead"])[0][2:] == ["Tahap 1 2019", "2020 sekaligus"]
    assert table_by_heading(page, "penyaluran") == {
        "Kabupaten Pandeglang": ["1.234", "1.200", "20", "14", "1.000", "4", "230"],
        "Kabupaten Lebak": ["10", "8", "1", "1", "6", "0", "4"],
        "Kota Serang": ["0", "0", "0", "0", "0", "0", "0"],
        OTHER: ["6", "3", "0", "3", "0", "0", "6"],
        "Jumlah": ["1.250", "1.211", "21", "18", "1.006", "4", "240"],
    }
    # accessible tables: a caption and scoped headings
    for table_id in ("umur", "kategori", "graduasi", "penyaluran"):
        block = page[page.index(f'id="{table_id}"') :]
        block = block[: block.index("</table>")]
        assert "<caption" in block and 'scope="col"' in block and 'scope="row"' in block
    assert "per 26 Des 2020</caption>" in page


def test_dashboard__read_models__category_bar_drawn_on_the_server(
    client: FlaskClient, summarised: Engine
) -> None:
    add_user(summarised, "prov")
    login(client, "prov")
    page = client.get("/").text
    svg = page[page.index('<figure class="category-bar">') : page.index("</figure>")]
    rects = re.findall(r'<rect class="cat cat-(\w+)" x="([\d.]+)" y="0" width="([\d.]+)"', svg)
    assert [name for name, _x, _w in rects] == [
        "sangat_miskin",
        "miskin",
        "hampir_miskin",
        "rentan_miskin",
        "calon_graduasi",
        "tanpa_kategori",
    ]
    assert abs(sum(float(w) for _n, _x, w in rects) - BAR_WIDTH) < 0.05
    assert 'role="img"' in svg and "<title" in svg
    title = html.unescape(re.search(r"<title[^>]*>(.*?)</title>", svg, re.S).group(1))  # type: ignore[union-attr]
    assert "KPM menurut kategori, provinsi, per 26 Des 2020: Sangat miskin 603 (48%)" in " ".join(
        title.split()
    )
    assert "Belum dinilai: 10 (1%)" in " ".join(html.unescape(re.sub(r"<[^>]+>", " ", svg)).split())
    assert "<script" not in page


def test_dashboard__read_models__chosen_date_counts_ages_live(
    client: FlaskClient, summarised: Engine
) -> None:
    """Should count the ages table from the registry on another date, and keep the summaries on their date."""
    add_user(summarised, "prov")
    login(client, "prov")
    page = client.get("/?per=2020-12-31").text
    assert "Umur dihitung per 31 Des 2020" in page
    assert "Kembali ke tanggal bawaan, 26 Des 2020" in page
    assert table_by_heading(page, "umur") == {
        "Kabupaten Pandeglang": ["3", "2", "2"],
        "Kabupaten Lebak": ["1", "1", "1"],
        "Kota Serang": ["0", "0", "0"],
        "Jumlah": ["4", "3", "3"],
    }
    assert table_by_heading(page, "kategori")["Jumlah"][0] == "1.250"
    assert "Data per 26 Des 2020" in page


def test_dashboard__read_models__english(client: FlaskClient, summarised: Engine) -> None:
    add_user(summarised, "prov")
    login(client, "prov")
    post_with_token(client, "/bahasa", {"lang": "en", "next": "/"})
    page = client.get("/").text
    assert "Data as of 26 Dec 2020" in page and "Ages as of 26 Dec 2020" in page
    assert table_rows(page, "kategori", ["thead"])[0][2:] == [
        "Very poor",
        "Poor",
        "Near poor",
        "Vulnerable",
        "Graduation candidate",
        "Not assessed",
    ]
    assert table_by_heading(page, "kategori")["Total"][0] == "1,250"
    assert table_by_heading(page, "graduasi")["Kabupaten Pandeglang"][3:] == ["3 / 5", "60%"]
    assert table_rows(page, "penyaluran", ["thead"])[0][2:] == ["Tranche 1, 2019", "2020, single payment"]
    assert table_rows(page, "penyaluran", ["thead"])[1][:3] == ["Received", "Problem", "Not confirmed"]


@pytest.mark.parametrize(
    ("role", "kode", "visible", "hidden"),
    [
        ("kabupaten_operator", "3601", "Kabupaten Pandeglang", "Kabupaten Lebak"),
        ("viewer", "3602", "Kabupaten Lebak", "Kabupaten Pandeglang"),
        ("kabupaten_operator", "3673", "Kota Serang", "Kabupaten Pandeglang"),
    ],
)
def test_dashboard__read_models__scoped_user_own_kabupaten_only(
    client: FlaskClient, summarised: Engine, role: str, kode: str, visible: str, hidden: str
) -> None:
    """Should show a scoped user only their kabupaten in every table, its totals, and nothing of the province."""
    add_user(summarised, "scoped", role=role, kode_kabupaten=kode)
    login(client, "scoped")
    page = client.get("/").text
    for table_id in ("umur", "kategori", "graduasi", "penyaluran"):
        rows = table_by_heading(page, table_id)
        assert set(rows) == {visible, "Jumlah"}, table_id
        assert rows["Jumlah"] == rows[visible], table_id
    assert hidden not in page and OTHER not in page and "1.250" not in page
    assert f"KPM menurut kategori, {visible}" in page or kode == "3673"  # Kota Serang has no KPM: no bar


def test_dashboard__no_read_models__says_so_and_no_summary_tables(
    client: FlaskClient, seeded: Engine
) -> None:
    add_user(seeded, "prov")
    login(client, "prov")
    page = client.get("/").text
    assert "Ringkasan (kategori, graduasi, penyaluran) belum dihitung" in page
    for table_id in ("kategori", "graduasi", "penyaluran"):
        assert f'id="{table_id}"' not in page
    assert "Tanpa tanggal, umur dihitung per tanggal registrasi terakhir dalam data." in page


def test_dashboard__read_models__markup_in_a_name_escaped(client: FlaskClient, sqlite_engine: Engine) -> None:
    seed_rm_wilayah(
        sqlite_engine,
        [
            rm_row(kode="36", tingkat="provinsi", kode_induk=None, nama="Banten", kpm=1, miskin=1),
            rm_row(
                kode="3601",
                tingkat="kabupaten",
                kode_induk="36",
                nama='<img src=x onerror="alert(1)">',
                kpm=1,
            ),
        ],
    )
    add_user(sqlite_engine, "prov")
    login(client, "prov")
    page = client.get("/").text
    assert "<img src=x" not in page
    assert "&lt;img src=x" in page


def test_category_bar__segments__contiguous_in_order_and_fill_the_width() -> None:
    summary = RegionSummary(
        "36", "Banten", kpm=7, sangat_miskin=3, hampir_miskin=1, calon_graduasi=2, tanpa_kategori=1
    )
    bar = category_bar(summary, width=700)
    assert [(s.category, s.count, s.x, s.width) for s in bar] == [
        ("sangat_miskin", 3, 0.0, 300.0),
        ("hampir_miskin", 1, 300.0, 100.0),
        ("calon_graduasi", 2, 400.0, 200.0),
        ("tanpa_kategori", 1, 600.0, 100.0),
    ]
    thirds = category_bar(
        RegionSummary("36", None, kpm=3, miskin=1, rentan_miskin=1, calon_graduasi=1), width=1000
    )
    assert [s.x for s in thirds] == [0.0, 333.33, 666.67]
    assert round(sum(s.width for s in thirds), 2) == 1000
    assert category_bar(RegionSummary("36", None)) == []


@pytest.mark.parametrize(
    ("lang", "key", "label"),
    [
        ("id", "2019-2", "Tahap 2 2019"),
        ("id", "2020-sekaligus", "2020 sekaligus"),
        ("en", "2019-2", "Tranche 2, 2019"),
        ("en", "2021-sekaligus", "2021, single payment"),
        ("id", "2022-khusus", "2022-khusus"),
    ],
)
def test_tranche_label__languages(app, lang: str, key: str, label: str) -> None:  # type: ignore[no-untyped-def]
    with app.test_request_context(headers={"Accept-Language": lang}):
        assert tranche_label(key) == label
