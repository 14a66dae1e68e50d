"""FrameScanner and LinkWatch: which reader answered, from the bytes on the wire."""

import secrets

import pytest

from firmware_bridge.drivers.osdp_frames import FrameScanner, LinkWatch, frame_bytes

POLL = bytes([0x60])
ACK = bytes([0x40])


def test_frames_split_anywhere_are_found_once() -> None:
    stream = (
        b"\xff"  # the mark byte libosdp may send first
        + frame_bytes(address=3, body=ACK, reply=True)
        + frame_bytes(address=9, body=bytes([0x50, 1, 2, 3]), reply=True, crc=False)
        + frame_bytes(address=3, body=ACK, reply=True)
    )
    for cut in range(1, len(stream)):
        scanner = FrameScanner(replies=True)
        assert scanner.feed(stream[:cut]) + scanner.feed(stream[cut:]) == [3, 9, 3]


def test_other_direction_bad_check_and_noise_are_ignored() -> None:
    scanner = FrameScanner(replies=True)
    good = frame_bytes(address=5, body=ACK, reply=True)
    corrupt = bytearray(good)
    corrupt[5] ^= 0x01
    command = frame_bytes(address=5, body=POLL, reply=False)
    assert scanner.feed(bytes(corrupt) + command + b"\x53\x85\x00garbage") == []
    assert scanner.feed(good) == [5]
    assert FrameScanner(replies=False).feed(command + good) == [5]


def test_a_fake_header_announcing_a_long_frame_does_not_stall_the_scan() -> None:
    scanner = FrameScanner(replies=True)
    fake = bytes([0x53, 0x85, 0x00, 0x03, 0x04])  # claims 768 bytes
    assert scanner.feed(fake + frame_bytes(address=5, body=ACK, reply=True)) == [5]
    assert scanner.feed(frame_bytes(address=6, body=ACK, reply=True)) == [6]


def test_random_noise_never_yields_a_frame() -> None:
    scanner = FrameScanner(replies=True)
    found = [scanner.feed(secrets.token_bytes(256)) for _ in range(200)]
    assert sum(len(f) for f in found) == 0
    assert scanner.feed(frame_bytes(address=1, body=ACK, reply=True)) == [1]


def test_bad_address_is_refused() -> None:
    with pytest.raises(ValueError, match="outside 0..127"):
        frame_bytes(address=128, body=POLL, reply=False)


def test_link_watch_tracks_unanswered_commands_per_address() -> None:
    watch = LinkWatch()
    watch.sent(frame_bytes(address=1, body=POLL, reply=False), now=10.0)
    watch.received(frame_bytes(address=1, body=ACK, reply=True), now=10.01)
    watch.sent(frame_bytes(address=2, body=POLL, reply=False), now=10.05)
    watch.received(frame_bytes(address=2, body=ACK, reply=True), now=10.06)
    assert watch.unanswered_for(1, now=11.0) == 0.0
    # Reader 1 stops answering; reader 2 on the same bus goes on.
    watch.sent(frame_bytes(address=1, body=POLL, reply=False), now=10.1)
    watch.sent(frame_bytes(address=2, body=POLL, reply=False), now=10.15)
    watch.received(frame_bytes(address=2, body=ACK, reply=True), now=10.16)
    watch.sent(frame_bytes(address=1, body=POLL, reply=False), now=11.1)
    assert watch.unanswered_for(1, now=11.5) == pytest.approx(1.4)
    assert watch.unanswered_frames(1) == 2
    assert watch.unanswered_for(2, now=11.5) == 0.0
    assert watch.unanswered_frames(2) == 0
    assert watch.last_command(1) == 11.1
    assert watch.last_reply(2) == 10.16
    assert watch.last_command(7) is None and watch.unanswered_for(7, now=12) == 0.0
    watch.received(frame_bytes(address=1, body=ACK, reply=True), now=11.6)
    assert watch.unanswered_for(1, now=12.0) == 0.0
    assert watch.unanswered_frames(1) == 0
