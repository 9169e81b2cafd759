"""The pendamping table page: role scoping, sorting, filtering and paging through the query string (no
JavaScript), links that keep the state, formats in both languages, and escaping (webadmin/pendamping.py)."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, update

from tests.webadmin.support import (
    add_user,
    login,
    post_with_token,
    rm_row,
    seed_pendamping_table,
    seed_rm_pendamping,
    table_rows,
)
from warehouse.db import session_factory
from warehouse.models import AdminUser
from warehouse.queries import DEFAULT_PENDAMPING_SORT
from webadmin.pendamping import TableArgs, page_numbers, parse_table_args


@pytest.fixture
def roster(sqlite_engine: Engine) -> Engine:
    seed_pendamping_table(sqlite_engine)
    return sqlite_engine


def ids(page: str) -> list[str]:
    return [cells[1] for cells in table_rows(page, "pendamping", ["tbody"]) if len(cells) > 1]


def links(page: str) -> dict[str, dict[str, list[str]]]:
    """The pagination links by their text, as parsed query strings."""
    nav = page[page.index('<nav class="pagination"') :]
    nav = nav[: nav.index("</nav>")]
    return {
        html.unescape(text): parse_qs(urlsplit(html.unescape(href)).query)
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav)
    }


def test_pendamping__province_admin__first_page_by_region_with_formats(
    client: FlaskClient, roster: Engine
) -> None:
    add_user(roster, "prov")
    login(client, "prov")
    response = client.get("/pendamping")
    assert response.status_code == 200
    page = response.text
    shown = ids(page)
    assert len(shown) == 50
    assert shown[:3] == ["PD-3601-001", "PD-3601-003", "PD-3601-005"]  # kabupaten, kecamatan, name
    first = table_rows(page, "pendamping", ["tbody"])[0]
    assert first == [
        "Ade Rahmawati",
        "PD-3601-001",
        "Kabupaten Pandeglang Sumur",
        "250",
        "2",
        "1",
        "1",
        "1",
        "1",
        "125 (50%)",
        "200 (80%)",
        "66%",
        "1",
        "3 / 5",
        "1",
    ]
    assert table_rows(page, "pendamping", ["tbody"])[1][13] == "3 / –"  # PD-3601-003: no target set
    assert table_rows(page, "pendamping", ["tfoot"])[0][0] == "Jumlah 75 pendamping"
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Pendamping 1–50 dari 75" in text
    assert "halaman 1 dari 2" in text
    assert "Data per 26 Des 2020" in text
    assert '<caption id="pendamping-caption">' in page and 'scope="row"' in page and 'scope="col"' in page
    assert 'aria-sort="ascending"' in page  # the region column, the default sort
    assert '<a href="/pendamping" aria-current="page">Pendamping</a>' in page  # the header navigation


def test_pendamping__thousands_and_english(client: FlaskClient, roster: Engine) -> None:
    add_user(roster, "prov")
    login(client, "prov")
    rows = table_rows(client.get("/pendamping?kab=3673").text, "pendamping", ["tbody"])
    assert [r[3] for r in rows] == ["1.501", "1.502"]
    post_with_token(client, "/bahasa", {"lang": "en", "next": "/"})
    page = client.get("/pendamping?kab=3673").text
    assert [r[3] for r in table_rows(page, "pendamping", ["tbody"])] == ["1,501", "1,502"]
    assert table_rows(page, "pendamping", ["thead"])[0][9:12] == [
        "Visited in 30 days",
        "Visited in 90 days",
        "Data complete",
    ]
    assert "Data as of 26 Dec 2020" in page


def test_pendamping__sort_by_column__server_side_with_links_that_toggle(
    client: FlaskClient, roster: Engine
) -> None:
    add_user(roster, "prov")
    login(client, "prov")
    page = client.get("/pendamping?sort=kpm&desc=1").text
    assert ids(page)[:3] == ["PD-3673-002", "PD-3673-001", "PD-3601-001"]
    assert 'aria-sort="descending"' in page
    # the active column's link flips the direction; another number column starts largest first, text A-Z
    assert 'href="/pendamping?sort=kpm"' in page
    assert 'href="/pendamping?sort=balita&amp;desc=1"' in page
    assert 'href="/pendamping?sort=nama"' in page
    ascending = client.get("/pendamping?sort=kpm").text
    assert ids(ascending)[:3] == ["PD-3602-001", "PD-3601-002", "PD-3602-002"]  # ties (102 KPM) by id
    by_share = client.get("/pendamping?sort=dikunjungi_30&desc=1").text
    assert ids(by_share)[0] == "PD-3601-001"  # 125 of 250 is the largest share, not the largest count


@pytest.mark.parametrize("sort", ["", "kode_kabupaten", "nama desc", "graduasi; DROP TABLE x", "__class__"])
def test_pendamping__unknown_sort__default_order_no_error(
    client: FlaskClient, roster: Engine, sort: str
) -> None:
    add_user(roster, "prov")
    login(client, "prov")
    response = client.get("/pendamping", query_string={"sort": sort})
    assert response.status_code == 200
    assert ids(response.text)[:2] == ["PD-3601-001", "PD-3601-003"]


def test_pendamping__page_two__rest_and_links_keep_sort_and_filter(
    client: FlaskClient, roster: Engine
) -> None:
    add_user(roster, "prov")
    login(client, "prov")
    page = client.get("/pendamping?sort=nama&q=pendamping&page=2").text
    assert len(ids(page)) == 74 - 50  # Ade Rahmawati does not match "pendamping"
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "Pendamping 51–74 dari 74" in text
    nav = links(page)
    assert nav["Sebelumnya"] == {"sort": ["nama"], "q": ["pendamping"]}
    assert nav["1"] == {"sort": ["nama"], "q": ["pendamping"]}
    assert nav["2"] == {"sort": ["nama"], "q": ["pendamping"], "page": ["2"]}
    assert "Berikutnya" not in nav
    assert '<a href="/pendamping?sort=nama&amp;page=2&amp;q=pendamping" aria-current="page">2</a>' in page


@pytest.mark.parametrize(
    ("asked", "first"), [("9", "PD-3601-051"), ("0", "PD-3601-001"), ("dua", "PD-3601-001")]
)
def test_pendamping__page_out_of_range_or_not_a_number__nearest_page(
    client: FlaskClient, roster: Engine, asked: str, first: str
) -> None:
    add_user(roster, "prov")
    login(client, "prov")
    response = client.get("/pendamping", query_string={"page": asked, "sort": "id"})
    assert response.status_code == 200
    assert ids(response.text)[0] == first


def test_pendamping__filters__kabupaten_kecamatan_text(client: FlaskClient, roster: Engine) -> None:
    add_user(roster, "prov")
    login(client, "prov")
    lebak = client.get("/pendamping?kab=3602").text
    assert len(ids(lebak)) == 12 and all(i.startswith("PD-3602-") for i in ids(lebak))
    assert 'option value="3602" selected' in lebak
    sumur = ids(client.get("/pendamping?kec=360101").text)
    assert len(sumur) == 31 and all(int(i[-3:]) % 2 for i in sumur)
    assert ids(client.get("/pendamping?q=RAHMA").text) == ["PD-3601-001"]
    assert ids(client.get("/pendamping?q=pd-3673").text) == ["PD-3673-001", "PD-3673-002"]
    none = client.get("/pendamping?q=%25%25").text
    assert ids(none) == [] and "Tidak ada pendamping yang cocok." in none
    # a kabupaten chosen: the kecamatan list offers only its kecamatan
    assert "Malingping" in lebak and "Sumur" not in lebak.split('id="kec"')[1].split("</select>")[0]


@pytest.mark.parametrize(("role", "kode"), [("kabupaten_operator", "3602"), ("viewer", "3602")])
def test_pendamping__scoped_user__own_kabupaten_whatever_the_query(
    client: FlaskClient, roster: Engine, role: str, kode: str
) -> None:
    add_user(roster, "scoped", role=role, kode_kabupaten=kode)
    login(client, "scoped")
    for path in ("/pendamping", "/pendamping?kab=3601", "/pendamping?kec=360101", "/pendamping?q=PD-3601"):
        page = client.get(path).text
        assert all(i.startswith("PD-3602-") for i in ids(page)), path
        assert "Kabupaten Pandeglang" not in page and "Sumur" not in page, path
    page = client.get("/pendamping").text
    assert len(ids(page)) == 12
    assert table_rows(page, "pendamping", ["tfoot"])[0][0] == "Jumlah 12 pendamping"
    assert 'id="kab"' not in page
    assert "Pendamping Kabupaten Lebak" in page


def test_pendamping__province_viewer__every_kabupaten(client: FlaskClient, roster: Engine) -> None:
    add_user(roster, "view", role="viewer")
    login(client, "view")
    page = client.get("/pendamping?sort=id&desc=1").text
    assert ids(page)[0] == "PD-3673-002"
    assert table_rows(page, "pendamping", ["tfoot"])[0][0] == "Jumlah 75 pendamping"


def test_pendamping__inconsistent_account__403(client: FlaskClient, roster: Engine) -> None:
    add_user(roster, "odd", role="viewer")
    with session_factory(roster)() as db:
        db.execute(update(AdminUser).values(role="kabupaten_operator", kode_kabupaten=None))
        db.commit()
    login(client, "odd")
    response = client.get("/pendamping")
    assert response.status_code == 403
    assert "PD-3601" not in response.text


def test_pendamping__no_read_models__empty_table_and_message(
    client: FlaskClient, sqlite_engine: Engine
) -> None:
    add_user(sqlite_engine, "prov")
    login(client, "prov")
    page = client.get("/pendamping").text
    assert ids(page) == []
    assert "Ringkasan (kategori, graduasi, penyaluran) belum dihitung" in page
    assert 'class="pagination"' not in page


def test_pendamping__markup_in_a_name__escaped(client: FlaskClient, sqlite_engine: Engine) -> None:
    seed_rm_pendamping(
        sqlite_engine, [rm_row(pendamping_id="PD-X", nama="<script>alert(1)</script>", kode_kabupaten="3601")]
    )
    add_user(sqlite_engine, "prov")
    login(client, "prov")
    page = client.get("/pendamping?q=%3Cscript").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'value="&lt;script"' in page  # the search text echoed in the form, escaped too


# --- the pure parts -----------------------------------------------------------------------------------------


def test_parse_table_args__defaults_bounds_and_scope() -> None:
    assert parse_table_args({}, None) == TableArgs()
    got = parse_table_args(
        {"sort": "kpm", "desc": "1", "page": "3", "kab": "3601", "kec": "360101", "q": " x "}, None
    )
    assert got == TableArgs("kpm", True, 3, "3601", "360101", "x")
    assert parse_table_args({"kab": "3601"}, "3602").kabupaten == "3602"
    assert parse_table_args({"page": "99999999999"}, None).page == 1
    assert parse_table_args({"page": "-2"}, None).page == 1
    assert parse_table_args({"kab": "36' OR 1=1"}, None).kabupaten is None
    assert parse_table_args({"q": "a" * 500}, None).text == "a" * 100
    assert parse_table_args({"sort": "bogus", "desc": "0"}, None) == TableArgs(DEFAULT_PENDAMPING_SORT, False)


def test_table_args_query__only_what_differs_from_the_defaults() -> None:
    args = TableArgs("kpm", True, 2, "3601", None, "siti")
    assert args.query() == {"sort": "kpm", "desc": "1", "page": "2", "kab": "3601", "q": "siti"}
    assert args.query(page=1, desc=False, q="") == {"sort": "kpm", "kab": "3601"}
    assert TableArgs().query() == {}


@pytest.mark.parametrize(
    ("page", "pages", "expected"),
    [
        (1, 1, [1]),
        (1, 2, [1, 2]),
        (1, 7, [1, 2, 3, None, 7]),
        (4, 7, [1, 2, 3, 4, 5, 6, 7]),
        (6, 12, [1, None, 4, 5, 6, 7, 8, None, 12]),
        (12, 12, [1, None, 10, 11, 12]),
    ],
)
def test_page_numbers__first_last_and_neighbours(page: int, pages: int, expected: list[int | None]) -> None:
    assert page_numbers(page, pages) == expected
