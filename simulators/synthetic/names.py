"""Indonesian-sounding names built from syllables and name parts (lists written for this project).

Names are composed, not picked from a list of real people: a stem made of two or three syllables gets an
ending typical for men or women, sometimes behind a common first part (Muhammad, Siti ...) or followed by a
second word. The lists lean Sundanese/Javanese with Arabic loan parts, as names in Banten do.
"""

from __future__ import annotations

import random

from .rng import pick

# Stem syllables. First syllables carry the initial consonant; middle ones are optional.
_FIRST = (
    "Su", "Sa", "Ja", "Ma", "Ha", "Ri", "Ro", "Ka", "Ku", "Na", "Wa", "Ya", "Ru", "Ca", "De", "Ju", "Ti",
    "Mu", "A", "E", "U", "I", "Da", "Ta", "Pa", "Ba", "Ra", "Sri", "Nu", "Ho", "Ko", "Wi", "Yu", "Ce", "La",
)  # fmt: skip
_MIDDLE = (
    "har",
    "dar",
    "man",
    "yan",
    "ma",
    "sri",
    "la",
    "na",
    "ri",
    "ro",
    "ta",
    "ja",
    "hi",
    "ra",
    "ya",
    "wa",
    "di",
)
_MALE_END = (
    "di", "to", "man", "din", "ja", "na", "ri", "jo", "mat", "pul", "dang", "jang", "tang", "wan", "yat",
    "san", "rul", "min", "dan", "lan", "ruddin", "mad",
)  # fmt: skip
_FEMALE_END = (
    "ah", "yati", "wati", "nah", "sih", "ningsih", "ni", "sa", "yani", "mah", "rah", "tin", "nengsih", "lia",
    "iah", "nita", "ti", "sari", "mi",
)  # fmt: skip
_MALE_FRONT = ("Muhammad", "Ahmad", "Mohamad", "Abdul", "Asep", "Ujang", "Dede", "Agus", "Haji")
_FEMALE_FRONT = ("Siti", "Nur", "Euis", "Dewi", "Sri", "Iis", "Neng", "Eni", "Ratna")
_MALE_BACK = ("Saputra", "Hidayat", "Ramdani", "Kurnia", "Pratama", "Maulana", "Firmansyah", "Setiawan")
_FEMALE_BACK = ("Rahmawati", "Lestari", "Aulia", "Fitriani", "Handayani", "Oktaviani", "Nurjanah", "Pertiwi")

# Place-name parts for kampung (hamlet) and street names.
_KAMPUNG_FRONT = ("Ci", "Suka", "Pasir", "Leuwi", "Babakan ", "Kadu", "Ranca", "Sindang", "Tegal", "Karang")
_KAMPUNG_BACK = (
    "mulya", "jaya", "maju", "asih", "sari", "beber", "manggu", "kuray", "dahu", "bungur", "kiara", "haur",
    "nangka", "lame", "gintung", "salam", "wangi", "rame", "bitung", "kalong",
)  # fmt: skip
_STREET = ("Melati", "Kenanga", "Mawar", "Flamboyan", "Cendana", "Merpati", "Kutilang", "Manggis", "Rambutan")


def _stem(rng: random.Random) -> str:
    stem = pick(rng, _FIRST)
    if rng.random() < 0.55:
        stem += pick(rng, _MIDDLE)
    return stem


def person_name(rng: random.Random, sex: str, birth_year: int) -> str:
    """A full name for a person of ``sex`` ("l"/"p"); people born after 1995 get more two-word names."""
    modern = birth_year >= 1995
    end = pick(rng, _MALE_END if sex == "l" else _FEMALE_END)
    core = _stem(rng) + end
    roll = rng.random()
    if sex == "l":
        if roll < 0.25:
            return f"{pick(rng, _MALE_FRONT)} {core}"
        if modern and roll < 0.6:
            return f"{core} {pick(rng, _MALE_BACK)}"
    else:
        if roll < 0.25:
            return f"{pick(rng, _FEMALE_FRONT)} {core}"
        if modern and roll < 0.6:
            return f"{core} {pick(rng, _FEMALE_BACK)}"
    return core


def kampung_name(rng: random.Random) -> str:
    """A hamlet name such as "Sukamulya" or "Cibeber"."""
    return pick(rng, _KAMPUNG_FRONT) + pick(rng, _KAMPUNG_BACK)


def street_name(rng: random.Random) -> str:
    """A street name for an urban address."""
    return pick(rng, _STREET)


def misspell(rng: random.Random, name: str) -> str:
    """``name`` with one typing slip (a doubled or dropped letter), for registrations corrected later."""
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    i = pick(rng, letters[1:] or letters)
    if rng.random() < 0.5:
        return name[: i + 1] + name[i] + name[i + 1 :]
    slipped = name[:i] + name[i + 1 :]
    return slipped if slipped.strip() else name + name[-1]
