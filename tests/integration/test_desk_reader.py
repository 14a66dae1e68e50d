"""The desk's OSDP reader: a card read by libosdp's own PeripheralDevice reaches the desk page.

The bridge's OSDP driver (`OsdpPanel`, secure channel) runs against a simulated reader on
an in-memory bus, as the bridge tests do; `portgate desk-reader`'s loop posts each read to
a real API as the desk user, whose page's poll gets it (and nobody else's). A read that is
not a badge number is refused, an old read is not offered, and the command without a key
or a login stops with an error line.
"""

import secrets
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import osdp
import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from central_api.db import make_engine, utc_now
from central_api.enroll.desk.reader import FRESH_S, DeskReadIn, last_read, record_read
from central_api.enroll.tables import DeskRead
from enrollment import EnrollClient
from firmware_bridge.card_formats import encode_wiegand
from firmware_bridge.config import OsdpConfig, OsdpReaderConfig
from firmware_bridge.drivers.osdp_channels import memory_channel_pair
from firmware_bridge.drivers.osdp_reader import OsdpPanel
from portgate.cli import app
from portgate.commands.desk_reader.loop import CardQueue, run_reads
from testkit.api.desk_server import DeskServer, run_desk_server

pytestmark = pytest.mark.integration
ADDRESS = 7
LAST = "/api/v1/enroll/desk-reader/last"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeskServer]:
    with run_desk_server(tmp_path_factory.mktemp("desk-reader")) as running:
        yield running


def _last(server: DeskServer, username: str = "security_desk-user") -> dict[str, object]:
    answer = httpx.get(
        server.url + LAST, headers={"Authorization": f"Bearer {server.token(username)}"}
    )
    answer.raise_for_status()
    return dict(answer.json())


def test_a_card_at_the_desk_reader_reaches_that_desk_users_page(server: DeskServer) -> None:
    key = secrets.token_bytes(16)
    cp_side, pd_side = memory_channel_pair()
    reader = osdp.PeripheralDevice(
        osdp.PDInfo(ADDRESS, pd_side, scbk=key, flags=[osdp.LibFlag.EnforceSecure]),
        osdp.PDCapabilities([(osdp.Capability.LEDControl, 1, 1)]),
        log_level=osdp.LogLevel.Emergency,
    )
    reader.start()
    config = OsdpConfig(
        port="/dev/null",
        readers=[OsdpReaderConfig(address=ADDRESS, reader_id="desk", lane=0, relay_output=None)],
    )
    panel = OsdpPanel(
        config=config, keys={"desk": key}, channel=cp_side, log_level=osdp.LogLevel.Emergency
    )
    cards, stop = CardQueue(), threading.Event()
    client = EnrollClient(api_url=server.url, token=server.token())
    loop = threading.Thread(
        target=run_reads, kwargs={"cards": cards, "post": client.desk_read, "stop": stop}
    )
    try:
        panel.start(cards.emit)
        loop.start()
        deadline = time.monotonic() + 20
        while not panel.is_secure("desk") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert panel.is_secure("desk")
        assert _last(server)["number"] is None
        data, bits = encode_wiegand(facility_code=200, card_number=51234, length=26)
        reader.submit_event(
            {
                "event": osdp.Event.CardRead,
                "reader_no": 0,
                "direction": 0,
                "format": osdp.CardFormat.Wiegand,
                "length": bits,
                "data": data,
            }
        )
        deadline = time.monotonic() + 20
        while _last(server)["number"] is None and time.monotonic() < deadline:
            time.sleep(0.1)
        read = _last(server)
        assert (read["number"], read["badge_format"]) == ("51234", "wiegand26")
        assert _last(server, "admin-user")["number"] is None, "another user's page gets nothing"
    finally:
        stop.set()
        loop.join(timeout=10)
        client.close()
        panel.close()
        reader.teardown()


def test_a_read_that_is_no_badge_number_is_refused(server: DeskServer) -> None:
    headers = {"Authorization": f"Bearer {server.token('operator-user')}"}
    refused = httpx.post(
        server.url + "/api/v1/enroll/desk-reader/reads", json={"number": "0AB1"}, headers=headers
    )
    assert refused.status_code == 403
    headers = {"Authorization": f"Bearer {server.token()}"}
    for body in ({"number": "not a badge"}, {"number": "0AB1", "badge_format": "wiegand26"}):
        answer = httpx.post(
            server.url + "/api/v1/enroll/desk-reader/reads", json=body, headers=headers
        )
        assert answer.status_code == 422, answer.text
    assert _last(server)["number"] in (None, "51234")


def test_an_old_read_is_not_offered(server: DeskServer) -> None:
    engine = make_engine(server.settings.database_url)
    try:
        with Session(engine) as session:
            then = utc_now() - timedelta(seconds=FRESH_S + 1)
            record_read(session=session, username="clerk", read=DeskReadIn(number="0C1"), now=then)
            fresh = then + timedelta(seconds=FRESH_S - 1)
            assert last_read(session=session, username="clerk", now=fresh).number == "0C1"
            assert last_read(session=session, username="clerk", now=utc_now()).number is None
            assert session.get(DeskRead, "clerk") is None, "a stale read is not kept"
    finally:
        engine.dispose()


def test_the_command_without_a_key_or_a_login_stops_with_an_error_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PORTGATE_OSDP_SCBK_DESK", raising=False)
    monkeypatch.delenv("PORTGATE_TOKEN", raising=False)
    monkeypatch.setenv("PORTGATE_TOKEN_FILE", str(tmp_path / "none"))
    args = ["desk-reader", "--port", "/dev/null"]
    no_key = CliRunner().invoke(app, [*args, "--token", "t"])
    assert no_key.exit_code == 2
    assert "no secure channel key" in no_key.output
    no_login = CliRunner().invoke(app, [*args, "--allow-plaintext"])
    assert no_login.exit_code == 2
    assert "not logged in" in no_login.output
