"""A small list of passwords that attackers try first, refused by the password policy (ASVS 6.2.4).

Written for this project: the usual keyboard walks, number runs and words of English-language lists, plus the
Indonesian words, places and program names that staff of a Banten social service would reach for. Only entries
of eight characters or more matter (shorter ones already fail the length rule); matching ignores case.
"""

from __future__ import annotations

_WORDS = """
12345678 123456789 1234567890 0123456789 87654321 98765432 11111111 00000000 12121212 11223344 12341234
123123123 1qaz2wsx 1q2w3e4r 1q2w3e4r5t 1qazxsw2 zaq12wsx qwertyui qwertyuiop qwerty123 qwerty12 asdfghjk
asdfghjkl asdf1234 zxcvbnm1 zxcvbnmm abcd1234 abcdefgh abc12345 a1b2c3d4 q1w2e3r4 aaaaaaaa passw0rd
password password1 password12 password123 password! p@ssw0rd p@ssword pa55word letmein1 letmein123
welcome1 welcome123 iloveyou iloveyou1 sunshine princess football baseball superman batman123 starwars
trustno1 whatever dragon12 monkey12 master12 michael1 jennifer computer internet changeme changeme1
default1 administrator admin123 admin1234 adminadmin root1234 secret12 secret123 qazwsxedc 1234qwer
password2024 password2025 password2026 welcome2024 welcome2025 welcome2026 spring2026 summer2026
rahasia1 rahasia123 rahasiaku katasandi katasandi1 katasandi123 sandiku123 bismillah
bismillah1 bismillah123 alhamdulillah assalamualaikum indonesia indonesia1 indonesia123 indonesiaraya
merdeka45 merdeka1945 garuda123 pancasila pancasila45 jakarta1 jakarta123 bandung1 surabaya
banten123 bantenjaya serang123 pandeglang lebak123 tangerang cilegon1 tangsel123 sayangku sayang123
cintaku1 cintaku123 akucintakamu kamusayang bersama1 keluarga keluarga1 semangat
semangat1 sukses123 berkah123 rejeki123 selamat1 selamatpagi terimakasih dinsos123 dinsosbanten
jamsosratu jamsosratu1 jamsosratu123 graduasi graduasi1 graduasi123 pendamping pendamping1 operator
operator1 operator123 kabupaten provinsi pemerintah kemensos pkh12345 bansos123 penerima kpm12345
"""

COMMON_PASSWORDS: frozenset[str] = frozenset(_WORDS.split())
"""Lower-case entries; compare with ``password.lower()``."""

CONTEXT_WORDS: frozenset[str] = frozenset(
    {
        "password",
        "katasandi",
        "rahasia",
        "admin",
        "administrator",
        "jamsosratu",
        "graduasi",
        "dinsos",
        "banten",
        "pendamping",
        "operator",
        "qwerty",
    }
)
"""Words of this service and its users: a password that is one of them plus digits or symbols is refused."""
