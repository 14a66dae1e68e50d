"""Which badge numbers a reader can produce, per badge format.

`firmware_bridge.card_formats` is what turns a card read into a badge number; a badge
bound at the desk that no reader can produce would never open a gate and only confuses
whoever looks for it. What the readers produce:

* ``wiegand26`` and ``wiegand34``: the 16-bit card number in decimal, no leading zero
  (0 to 65535), the facility code apart;
* ``raw``: hexadecimal digits, ``:`` and ``-``, up to 64 (bit strings of other lengths,
  and readers that send ASCII card numbers);
* ``keypad``: the digits typed, up to 16;
* no format given: a badge number of any reader (`gate_protocol.ids.BadgeNumber`).
"""

import re
from typing import Final

from gate_protocol.ids import BADGE_NUMBER_PATTERN, MAX_ID_LENGTH
from gate_protocol.messages import BadgeFormat

__all__ = ["WIEGAND_CARD_MAX", "badge_number_problem"]

WIEGAND_CARD_MAX: Final = 0xFFFF
_DECIMAL: Final = re.compile(r"0|[1-9][0-9]{0,4}")
_ANY_READER: Final = re.compile(BADGE_NUMBER_PATTERN)
_KEYPAD: Final = re.compile(r"[0-9]{1,16}")


def badge_number_problem(number: str, badge_format: BadgeFormat | None) -> str | None:
    """Why no reader produces `number` in `badge_format`, or None when one can.

    Args:
        number: The badge number as bound at the desk.
        badge_format: How it is read; None: any format.

    Returns:
        A sentence for the desk, or None.
    """
    if badge_format in (BadgeFormat.WIEGAND26, BadgeFormat.WIEGAND34):
        if _DECIMAL.fullmatch(number) is None or int(number) > WIEGAND_CARD_MAX:
            return (
                f"a {badge_format.value} badge number is the card number in decimal, "
                f"0 to {WIEGAND_CARD_MAX} without leading zeros"
            )
        return None
    if badge_format is BadgeFormat.KEYPAD:
        if _KEYPAD.fullmatch(number) is None:
            return "a keypad code is 1 to 16 digits"
        return None
    if len(number) > MAX_ID_LENGTH or _ANY_READER.fullmatch(number) is None:
        return "a badge number is 1 to 64 hexadecimal digits, ':' and '-', as readers send it"
    return None
