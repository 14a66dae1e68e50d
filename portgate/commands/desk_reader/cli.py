"""`portgate desk-reader`: read cards at the desk's OSDP reader into the desk page.

Log in first (`portgate enroll login --user NAME`): reads are posted as that desk user and
appear on that user's desk page only. The reader's secure-channel key comes from
``PORTGATE_OSDP_SCBK_<READER_ID>`` or ``--key-file``, as for the bridge. Exit status: 0
stopped, 1 the API refused a read, 2 bad usage, not logged in or no key.
"""

import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from enrollment import EnrollClient, EnrollmentError, NotLoggedInError, resolve_session
from firmware_bridge.config import OsdpConfig, OsdpReaderConfig
from firmware_bridge.drivers.osdp_keys import OsdpKeyError, load_reader_keys
from portgate.commands.desk_reader.loop import CardQueue, run_reads
from portgate.language import _

__all__ = ["desk_reader_command"]


def _config(
    port: str, address: int, reader_id: str, key_file: Path | None, allow_plaintext: bool
) -> OsdpConfig:
    # The desk reader is one peripheral with no lock: lane 0, no relay, no inputs.
    reader = OsdpReaderConfig(address=address, reader_id=reader_id, lane=0, relay_output=None)
    return OsdpConfig(
        port=port, readers=[reader], key_file=key_file, allow_plaintext=allow_plaintext
    )


def desk_reader_command(
    port: Annotated[str, typer.Option("--port", help="The reader's RS-485 serial device.")],
    address: Annotated[int, typer.Option(help="The reader's OSDP address.", min=0, max=126)] = 0,
    reader_id: Annotated[str, typer.Option(help="Its name (and key variable suffix).")] = "desk",
    key_file: Annotated[
        Path | None, typer.Option(help="Lines `reader_id=32 hex digits` (mode 0600).")
    ] = None,
    allow_plaintext: Annotated[
        bool, typer.Option(help="Allow a reader without secure channel.")
    ] = False,
    api: Annotated[str | None, typer.Option(help="API base URL (env PORTGATE_API_URL).")] = None,
    token: Annotated[str | None, typer.Option(help="Bearer token (env PORTGATE_TOKEN).")] = None,
) -> None:
    """Read badges at the desk's OSDP reader into the logged-in desk user's page."""
    try:
        session = resolve_session(api_url=api, token=token)
        config = _config(port, address, reader_id, key_file, allow_plaintext)
        keys = load_reader_keys(config)
    except (NotLoggedInError, OsdpKeyError) as exc:
        typer.echo(_("desk-reader: {error}", error=exc), err=True)
        raise typer.Exit(code=2) from None
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    # libosdp is loaded only when a reader is really run (as the bridge's assembly does).
    from firmware_bridge.drivers.osdp_reader import OsdpPanel  # noqa: PLC0415

    cards = CardQueue()
    panel = OsdpPanel(config=config, keys=keys)
    try:
        with EnrollClient(api_url=session.api_url, token=session.token) as client:
            panel.start(cards.emit)
            typer.echo(
                _(
                    "desk-reader: reading at {port} (address {address}); Ctrl-C stops",
                    port=port,
                    address=address,
                )
            )
            run_reads(
                cards=cards,
                post=client.desk_read,
                stop=stop,
                on_read=lambda number: typer.echo(_("read {number}", number=number)),
            )
    except EnrollmentError as exc:
        typer.echo(_("desk-reader: {error}", error=exc), err=True)
        raise typer.Exit(code=1) from None
    finally:
        panel.close()
