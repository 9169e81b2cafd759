"""pyodk, the client the sync worker uses, against the simulator: log in, read tables, follow paging."""

from __future__ import annotations

import pytest
from pyodk._utils.config import CentralConfig, Config
from pyodk._utils.session import Session
from pyodk.client import Client

from simulators.central import CentralStore, RunningServer
from tests.simulators.conftest import ADMIN_EMAIL, FORM


def client_for(server: RunningServer, email: str, password: str, project_id: int = 1) -> Client:
    """A pyodk Client configured in code: no config file, no token cache."""
    config = Config(
        central=CentralConfig(
            base_url=server.url, username=email, password=password, default_project_id=project_id
        )
    )
    session = Session(
        base_url=server.url, api_version="v1", username=email, password=password, cache_path=None
    )
    return Client(config=config, session=session)


def test_pyodk__get_table__logs_in_and_reads_the_replayed_rows(replay_server: RunningServer,
                                                                replay_store: CentralStore) -> None:  # fmt: skip
    """Should log in through POST /v1/sessions and read Submissions and the repeat table with pyodk."""
    from simulators.central.replay import REPLAY_ADMIN_PASSWORD

    with client_for(replay_server, ADMIN_EMAIL, REPLAY_ADMIN_PASSWORD) as client:
        table = client.submissions.get_table(form_id=FORM, count=True)
        assert table["@odata.count"] == 19
        assert [r["__id"] for r in table["value"]] == replay_store.live_ids(1, FORM)
        repeats = client.submissions.get_table(form_id=FORM, table_name="Submissions.anggota")
        assert len(repeats["value"]) == 59
        page = client.submissions.get_table(form_id=FORM, top=5, expand="*")
        assert len(page["value"]) == 5 and page["@odata.nextLink"].startswith("http://127.0.0.1:8383/")
        assert [f.name for f in client.forms.list()] == ["Survei Rumah Tangga Bansos"]
    assert any(r.target == "/v1/sessions" and r.status == 200 for r in replay_server.request_log)


def test_pyodk__wrong_password__login_fails_with_401(replay_server: RunningServer) -> None:
    """Should make pyodk's login fail (it raises PyODKError on the 401.2)."""
    from pyodk.errors import PyODKError

    with pytest.raises(PyODKError, match="401"):
        client_for(replay_server, ADMIN_EMAIL, "wrong").open()
