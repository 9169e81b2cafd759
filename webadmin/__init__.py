"""The Flask admin (Bahasa Indonesia first). May import warehouse/ and forms/, never sync/ (DESIGN.md §3).

``create_app(settings)`` builds it; ``serve(app, host, port)`` runs it in the foreground and ``ServerThread``
in the background. Accounts are made with :func:`webadmin.auth.create_user`.
"""

from webadmin.app import AdminSettings, create_app
from webadmin.server import ServerThread, serve

__all__ = ["AdminSettings", "ServerThread", "create_app", "serve"]
