"""The Flask admin (Bahasa Indonesia first). May import warehouse/ and forms/, never sync/ (DESIGN.md §3)."""
