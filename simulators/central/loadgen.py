"""Load-test forms and data for the simulator's own benchmark and performance tests.

A registration form shaped like ``kpm_registrasi`` (about 35 fields, a geopoint, a photo, a select_multiple
and an ``anggota`` repeat averaging 4.2 members) and a visit form with a small ``anak`` repeat. The values are
random but seeded; they are not the synthetic Banten data set (simulators/synthetic builds that), only
something of the same size and shape to measure the server with.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from .store import Actor, CentralStore, SubmitItem

REGISTRATION_ID = "loadtest_registrasi"
VISIT_ID = "loadtest_kunjungan"

# (name, bind type, body control) ; a "/" in the name nests it in a group
_REGISTRATION_FIELDS: list[tuple[str, str, str]] = [
    ("start", "dateTime", ""),
    ("end", "dateTime", ""),
    ("tanggal", "date", "input"),
    ("kpm_id", "string", "input"),
    ("kepala/nama", "string", "input"),
    ("kepala/nik", "string", "input"),
    ("kepala/jenis_kelamin", "string", "select1"),
    ("kepala/tanggal_lahir", "date", "input"),
    ("no_kk", "string", "input"),
    ("wilayah/kabupaten", "string", "select1"),
    ("wilayah/kecamatan", "string", "select1"),
    ("wilayah/desa", "string", "select1"),
    ("wilayah/alamat", "string", "input"),
    ("lokasi", "geopoint", "input"),
    ("jumlah_anggota", "int", "input"),
    ("kategori", "string", "select1"),
    ("pendapatan", "decimal", "input"),
    ("pengeluaran", "decimal", "input"),
    ("rumah/luas_lantai", "decimal", "input"),
    ("rumah/jenis_lantai", "string", "select1"),
    ("rumah/jenis_dinding", "string", "select1"),
    ("rumah/sumber_air", "string", "select1"),
    ("rumah/penerangan", "string", "select1"),
    ("rumah/bahan_bakar", "string", "select1"),
    ("rumah/fasilitas_bab", "string", "select1"),
    ("konsumsi_daging", "int", "input"),
    ("beli_pakaian", "int", "input"),
    ("makan_per_hari", "int", "input"),
    ("berobat", "string", "select1"),
    ("aset", "string", "select"),
    ("tabungan", "int", "input"),
    ("skor_bps", "string", ""),
    ("foto_rumah", "binary", "upload"),
    ("catatan", "string", "input"),
]
_MEMBER_FIELDS: list[tuple[str, str, str]] = [
    ("nama", "string", "input"),
    ("nik", "string", "input"),
    ("hubungan", "string", "select1"),
    ("jenis_kelamin", "string", "select1"),
    ("umur", "int", "input"),
    ("sekolah", "string", "select1"),
    ("disabilitas", "string", "select1"),
]
_VISIT_FIELDS: list[tuple[str, str, str]] = [
    ("start", "dateTime", ""),
    ("end", "dateTime", ""),
    ("tanggal_kunjungan", "date", "input"),
    ("kpm_id", "string", "input"),
    ("lokasi", "geopoint", "input"),
    ("hadir", "string", "select1"),
    ("pendapatan", "decimal", "input"),
    ("tabungan", "int", "input"),
    ("ibu_hamil", "int", "input"),
    ("periksa_kehamilan", "int", "input"),
    ("balita", "int", "input"),
    ("balita_ditimbang", "int", "input"),
    ("imunisasi_lengkap", "string", "select1"),
    ("p2k2_sesi", "int", "input"),
    ("catatan", "string", "input"),
]
_CHILD_FIELDS: list[tuple[str, str, str]] = [
    ("nama_anak", "string", "input"),
    ("kelas", "string", "select1"),
    ("kehadiran_persen", "decimal", "input"),
]


def _xform(form_id: str, version: str, title: str, fields: list[tuple[str, str, str]], repeat: str,
           repeat_fields: list[tuple[str, str, str]]) -> str:  # fmt: skip
    """A minimal pyxform-like XForm: groups from ``a/b`` names, one repeat, meta/instanceID."""
    instance: list[str] = []
    binds: list[str] = []
    body: list[str] = []
    open_group: str | None = None
    for name, bind_type, control in fields:
        group, _, leaf = name.rpartition("/")
        if group != open_group:
            if open_group:
                instance.append(f"</{open_group}>")
            if group:
                instance.append(f"<{group}>")
            open_group = group or None
        instance.append(f"<{leaf}/>")
        binds.append(f'<bind nodeset="/data/{name}" type="{bind_type}"/>')
        if control:
            body.append(f'<{control} ref="/data/{name}"><label>{escape(leaf)}</label></{control}>')
        if name == fields[len(fields) // 2][0]:
            instance.append(
                f'<{repeat} jr:template="">'
                + "".join(f"<{n}/>" for n, _, _ in repeat_fields)
                + f"</{repeat}>"
            )
            for rname, rtype, _ in repeat_fields:
                binds.append(f'<bind nodeset="/data/{repeat}/{rname}" type="{rtype}"/>')
            controls = "".join(
                f'<{c} ref="/data/{repeat}/{n}"><label>{n}</label></{c}>' for n, _, c in repeat_fields
            )
            body.append(
                f'<group ref="/data/{repeat}"><label>{repeat}</label><repeat nodeset="/data/{repeat}">{controls}</repeat></group>'
            )
    if open_group:
        instance.append(f"</{open_group}>")
    instance.append("<meta><instanceID/><instanceName/></meta>")
    binds.append('<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>')
    binds.append('<bind nodeset="/data/meta/instanceName" type="string"/>')
    return (
        '<?xml version="1.0"?><h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"'
        ' xmlns:jr="http://openrosa.org/javarosa" xmlns:odk="http://www.opendatakit.org/xforms">'
        f'<h:head><h:title>{escape(title)}</h:title><model odk:xforms-version="1.0.0"><instance>'
        f'<data id="{form_id}" version="{version}">{"".join(instance)}</data></instance>'
        f"{''.join(binds)}</model></h:head><h:body>{''.join(body)}</h:body></h:html>"
    )


REGISTRATION_XML = _xform(
    REGISTRATION_ID, "1", "Load test registration", _REGISTRATION_FIELDS, "anggota", _MEMBER_FIELDS
)
VISIT_XML = _xform(VISIT_ID, "1", "Load test visit", _VISIT_FIELDS, "anak", _CHILD_FIELDS)

_WIB = timedelta(hours=7)
_KAB = ["3601", "3602", "3603", "3604", "3671", "3672", "3673", "3674"]
_NAMES = [
    "Siti",
    "Ahmad",
    "Dewi",
    "Budi",
    "Nur",
    "Rudi",
    "Wati",
    "Agus",
    "Sri",
    "Joko",
    "Lilis",
    "Eko",
    "Yuni",
    "Dedi",
]
_SURNAMES = [
    "Aminah",
    "Fauzi",
    "Lestari",
    "Santoso",
    "Hasanah",
    "Hartono",
    "Rahayu",
    "Wijaya",
    "Susilo",
    "Prasetyo",
]


def _registration(rng: random.Random, n: int, when: datetime) -> dict[str, Any]:
    local = when + _WIB
    members = max(1, min(12, int(rng.gauss(4.2, 1.6) + 0.5)))
    name = f"{rng.choice(_NAMES)} {rng.choice(_SURNAMES)}"
    return {
        "start": (local - timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M:%S.000+07:00"),
        "end": local.strftime("%Y-%m-%dT%H:%M:%S.000+07:00"),
        "tanggal": local.date().isoformat(),
        "kpm_id": f"KPM{n:07d}",
        "kepala": {
            "nama": name,
            "nik": f"36{rng.randrange(10**13, 10**14)}",
            "jenis_kelamin": rng.choice("lp"),
            "tanggal_lahir": f"19{rng.randrange(50, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(0, 9)}",
        },
        "no_kk": f"36{rng.randrange(10**13, 10**14)}",
        "wilayah": {
            "kabupaten": rng.choice(_KAB),
            "kecamatan": f"{rng.randrange(10, 40)}",
            "desa": f"{rng.randrange(1000, 2000)}",
            "alamat": f"Kp. {rng.choice(_SURNAMES)} RT {rng.randrange(1, 20):02d}/RW {rng.randrange(1, 10):02d}",
        },
        "lokasi": f"-6.{rng.randrange(100000, 999999)} 106.{rng.randrange(100000, 999999)} {rng.randrange(5, 900)}.0 {rng.randrange(3, 20)}.0",
        "jumlah_anggota": members,
        "kategori": rng.choice(["sangat_miskin", "miskin", "hampir_miskin", "rentan_miskin"]),
        "pendapatan": rng.randrange(300, 3000) * 1000,
        "pengeluaran": rng.randrange(300, 3000) * 1000 + rng.choice([0, 0.5]),
        "rumah": {
            "luas_lantai": round(rng.uniform(12, 90), 1),
            "jenis_lantai": rng.choice(["tanah", "semen", "keramik"]),
            "jenis_dinding": rng.choice(["bambu", "kayu", "tembok"]),
            "sumber_air": rng.choice(["sumur", "pam", "sungai"]),
            "penerangan": rng.choice(["pln", "non_pln"]),
            "bahan_bakar": rng.choice(["kayu", "gas", "minyak"]),
            "fasilitas_bab": rng.choice(["sendiri", "bersama", "tidak_ada"]),
        },
        "konsumsi_daging": rng.randrange(0, 3),
        "beli_pakaian": rng.randrange(0, 2),
        "makan_per_hari": rng.randrange(1, 4),
        "berobat": rng.choice(["ya", "tidak"]),
        "aset": " ".join(rng.sample(["motor", "tv", "kulkas", "hp", "ternak"], rng.randrange(0, 4))),
        "tabungan": rng.choice([0, 0, 50000, 250000]),
        "skor_bps": str(rng.randrange(3, 14)),
        "foto_rumah": f"rumah_{n}.jpg" if rng.random() < 0.7 else None,
        "catatan": "" if rng.random() < 0.8 else "Rumah sulit dijangkau saat hujan",
        "anggota": [
            {
                "nama": f"{rng.choice(_NAMES)} {rng.choice(_SURNAMES)}",
                "nik": f"36{rng.randrange(10**13, 10**14)}",
                "hubungan": "kepala" if i == 0 else rng.choice(["istri", "anak", "orang_tua"]),
                "jenis_kelamin": rng.choice("lp"),
                "umur": rng.randrange(0, 80),
                "sekolah": rng.choice(["ya", "tidak", ""]),
                "disabilitas": "tidak",
            }
            for i in range(members)
        ],
        "meta": {"instanceName": f"{name} - KPM{n:07d}"},
    }


def _visit(rng: random.Random, n: int, when: datetime) -> dict[str, Any]:
    local = when + _WIB
    children = rng.choice([0, 1, 1, 2, 3])
    return {
        "start": (local - timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M:%S.000+07:00"),
        "end": local.strftime("%Y-%m-%dT%H:%M:%S.000+07:00"),
        "tanggal_kunjungan": local.date().isoformat(),
        "kpm_id": f"KPM{n:07d}",
        "lokasi": f"-6.{rng.randrange(100000, 999999)} 106.{rng.randrange(100000, 999999)} 50.0 8.0",
        "hadir": rng.choice(["ya", "ya", "tidak"]),
        "pendapatan": rng.randrange(300, 3000) * 1000,
        "tabungan": rng.choice([0, 50000]),
        "ibu_hamil": rng.randrange(0, 2),
        "periksa_kehamilan": rng.randrange(0, 4),
        "balita": rng.randrange(0, 3),
        "balita_ditimbang": rng.randrange(0, 3),
        "imunisasi_lengkap": rng.choice(["ya", "tidak"]),
        "p2k2_sesi": rng.randrange(0, 3),
        "catatan": "",
        "anak": [
            {
                "nama_anak": rng.choice(_NAMES),
                "kelas": str(rng.randrange(1, 12)),
                "kehadiran_persen": rng.randrange(50, 100),
            }
            for _ in range(children)
        ],
    }


def seed_loadtest(
    store: CentralStore,
    households: int,
    visits: int = 0,
    *,
    seed: int = 1,
    start: datetime = datetime(2019, 1, 7, 1, 0, tzinfo=UTC),
) -> tuple[int, Actor]:
    """Publish the two load-test forms in a new project and bulk-submit the rows.

    :returns: the project id and the admin user (email ``loadtest@example.test``, password ``loadtest``).
    """
    rng = random.Random(seed)
    admin = store.user("loadtest@example.test") or store.add_user(
        "loadtest@example.test", "loadtest", "Load test"
    )
    project = store.add_project("Load test")
    store.publish_form(project.id, REGISTRATION_XML, by=admin)
    store.publish_form(project.id, VISIT_XML, by=admin)
    enumerators = [store.add_app_user(project.id, f"Pendamping {i:03d}") for i in range(1, 21)]

    def items(count: int, make: Any, step_seconds: int) -> Iterator[SubmitItem]:
        for n in range(count):
            when = start + timedelta(seconds=n * step_seconds)
            yield SubmitItem(
                make(rng, n % max(households, 1), when),
                rng.choice(enumerators),
                instance_id=f"uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                at=when,
                user_agent="org.odk.collect.android/v2025.2.1",
            )

    store.submit_many(project.id, REGISTRATION_ID, items(households, _registration, 97))
    if visits:
        store.submit_many(project.id, VISIT_ID, items(visits, _visit, 31))
    return project.id, admin


def submit_visits(
    store: CentralStore,
    project_id: int,
    count: int,
    *,
    households: int,
    seed: int,
    at: datetime | None = None,
) -> None:
    """Submit ``count`` more load-test visits now (or ``at``): a trickle of new data for a sync to pull while
    something else is measured. ``seed`` varies the rows; the instance ids are new each call."""
    rng = random.Random(seed)
    when = at or store.now()
    enumerators = list(store.project(project_id).app_users) or [
        store.add_app_user(project_id, "Pendamping 001")
    ]
    store.submit_many(
        project_id,
        VISIT_ID,
        (
            SubmitItem(
                _visit(rng, rng.randrange(max(households, 1)), when),
                rng.choice(enumerators),
                instance_id=f"uuid:{uuid.uuid4()}",
                at=when,
                user_agent="org.odk.collect.android/v2025.2.1",
            )
            for _ in range(count)
        ),
    )
