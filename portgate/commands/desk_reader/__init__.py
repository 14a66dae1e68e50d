"""`portgate desk-reader`: the security desk's OSDP badge reader, read into the desk page.

``loop`` runs the bridge's OSDP driver (`firmware_bridge.drivers.osdp_reader.OsdpPanel`)
for one desk reader and posts each card it reads to the API as the logged-in desk user
(`EnrollClient.desk_read`); the desk page polls for it and fills its focused badge field.
``cli`` is the command. Keyboard-wedge (USB HID) readers need none of this: they type.
"""

from portgate.commands.desk_reader.cli import desk_reader_command

__all__ = ["desk_reader_command"]
