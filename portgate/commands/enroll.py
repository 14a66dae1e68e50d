"""`portgate enroll ...`: security-desk enrollment (HTTP client of the API)."""

from pathlib import Path
from typing import Annotated

import typer

from portgate.commands.pending import exit_pending

app = typer.Typer(help="Security-desk enrollment (HTTP client of the API).", no_args_is_help=True)


@app.command("person")
def person_command(
    action: Annotated[str, typer.Argument(help="add, update, revoke or erase.")],
) -> None:
    """Add, update, revoke or erase a person."""
    exit_pending("enroll person", 6)


@app.command("photo")
def photo_command(
    person_id: Annotated[str, typer.Argument(help="Person id.")],
    image: Annotated[Path, typer.Argument(help="Photo file.")],
) -> None:
    """Add a photo (face template) to a person."""
    exit_pending("enroll photo", 6)


@app.command("badge")
def badge_command(
    person_id: Annotated[str, typer.Argument(help="Person id.")],
    number: Annotated[str, typer.Argument(help="Badge number.")],
) -> None:
    """Bind a badge to a person."""
    exit_pending("enroll badge", 6)


@app.command("pass")
def pass_command(
    person_id: Annotated[str, typer.Argument(help="Person id.")],
) -> None:
    """Issue a signed QR pass and write it as PNG/PDF."""
    exit_pending("enroll pass", 6)


@app.command("import")
def import_command(
    csv_file: Annotated[Path, typer.Argument(help="CSV file.")],
    photos: Annotated[Path, typer.Argument(help="Photo folder.")],
) -> None:
    """Bulk import a CSV plus a folder of photos."""
    exit_pending("enroll import", 6)
