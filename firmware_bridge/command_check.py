"""The pure checks an OpenCommand passes before it may move a relay."""

from datetime import datetime, timedelta

from gate_protocol.messages import AckResult, OpenCommand

__all__ = ["check_command"]


def check_command(
    *,
    command: OpenCommand,
    now: datetime,
    skew_s: float,
    max_lifetime_s: float,
    known_lane: bool,
) -> tuple[AckResult, str] | None:
    """Return the refusal for `command` (result and detail), or None if it may be executed.

    The duplicate check is not here: it must be atomic with recording the command id
    (see CommandLog.record_once).

    Args:
        command: The decoded command.
        now: The bridge's wall clock (aware).
        skew_s: Clock skew tolerated between issuer and bridge.
        max_lifetime_s: Commands that expire further ahead than this are refused, because the
            executed-id log only remembers ids for a bounded time.
        known_lane: Whether the command's lane exists at this gate.
    """
    skew = timedelta(seconds=skew_s)
    if now > command.expires_at + skew:
        return AckResult.EXPIRED, f"expired at {command.expires_at.isoformat()}"
    if command.expires_at - now > timedelta(seconds=max_lifetime_s) + skew:
        return AckResult.FAULT, "expires_at too far in the future"
    if command.issued_at - now > skew:
        return AckResult.FAULT, "issued_at is in the future"
    if not known_lane:
        return AckResult.FAULT, f"lane {command.lane} does not exist at this gate"
    return None
