"""The pure rules of sharing: the signed envelope, each refusal, the TLP 2.0 routing, refs."""

from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central_api.community.envelope import (
    MAX_ITEM_BYTES,
    ItemKind,
    SharedItem,
    Tlp,
    sign_item,
    signature_ok,
)
from central_api.community.identity import identity_ref, normalise_document_number
from central_api.community.tlp import may_forward, may_receive
from central_api.community.verify import ItemError, MemberKey, Refusal, check_item, decode_item
from gate_protocol.passes.keys import encode_public_key

HUB_KEY = Ed25519PrivateKey.generate()
A_KEY = Ed25519PrivateKey.generate()
MEMBERS = {
    "hub": MemberKey("hub", encode_public_key(HUB_KEY.public_key()), active=True),
    "term-a": MemberKey("term-a", encode_public_key(A_KEY.public_key()), active=True),
    "gone": MemberKey("gone", encode_public_key(A_KEY.public_key()), active=False),
}


def item(**changes: object) -> SharedItem:
    fields: dict[str, object] = {
        "community_id": "nsp",
        "issuer": "hub",
        "sequence": 1,
        "kind": ItemKind.BAN,
        "tlp": Tlp.GREEN,
        "issued_at": datetime(2026, 12, 6, 9, 0, tzinfo=UTC),
        "body": {"identity_ref": "ref:" + "a" * 64, "legal_reference": "PA-1"},
    }
    fields.update(changes)
    return SharedItem.model_validate(fields)


def check(shared: SharedItem, *, last: int = 0, me: str = "term-b") -> Refusal | None:
    return check_item(
        shared, community_id="nsp", own_member_id=me, members=MEMBERS, last_sequence=last
    )


def test_a_signed_next_item_passes() -> None:
    assert check(sign_item(item(), HUB_KEY)) is None


@pytest.mark.parametrize(
    ("shared", "last", "refusal"),
    [
        (item(community_id="other"), 0, Refusal.WRONG_COMMUNITY),
        (item(schema_version=2), 0, Refusal.SCHEMA_VERSION),
        (item(issuer="stranger"), 0, Refusal.UNKNOWN_ISSUER),
        (item(issuer="gone"), 0, Refusal.REMOVED_ISSUER),
        (item(sequence=1), 1, Refusal.REPLAY),
        (item(sequence=3), 1, Refusal.OUT_OF_SEQUENCE),
        (item(tlp=Tlp.AMBER_STRICT, recipients=("term-a",)), 0, Refusal.NOT_FOR_US),
    ],
)
def test_each_refusal(shared: SharedItem, last: int, refusal: Refusal) -> None:
    key = A_KEY if shared.issuer in {"term-a", "gone"} else HUB_KEY
    assert check(sign_item(shared, key), last=last) is refusal


def test_unsigned_and_wrongly_signed_items_are_refused() -> None:
    assert check(item()) is Refusal.UNSIGNED
    assert check(sign_item(item(), A_KEY)) is Refusal.BAD_SIGNATURE
    assert check(item(signature="not base64!")) is Refusal.BAD_SIGNATURE


@pytest.mark.parametrize(
    "change",
    [
        {"body": {"identity_ref": "ref:" + "b" * 64, "legal_reference": "PA-1"}},
        {"tlp": Tlp.CLEAR},
        {"sequence": 2},
        {"kind": ItemKind.BAN_LIFT},
    ],
)
def test_any_tampered_field_breaks_the_signature(change: dict[str, object]) -> None:
    signed = sign_item(item(), HUB_KEY)
    tampered = signed.model_copy(update=change)
    assert not signature_ok(tampered, MEMBERS["hub"].public_key_b64)
    assert check(tampered, last=int(tampered.sequence) - 1) is Refusal.BAD_SIGNATURE


def test_decode_refuses_oversized_malformed_and_wrong_labels() -> None:
    with pytest.raises(ItemError) as oversized:
        decode_item(b"{" + b" " * MAX_ITEM_BYTES + b"}")
    assert oversized.value.refusal is Refusal.OVERSIZED
    raw = sign_item(item(), HUB_KEY).model_dump_json()
    assert decode_item(raw) == sign_item(item(), HUB_KEY)
    for bad in (
        raw.replace("TLP:GREEN", "TLP:YELLOW"),
        raw.replace("TLP:GREEN", "tlp:green"),
        "not json",
        raw.replace('"sequence":1', '"sequence":0'),
    ):
        with pytest.raises(ItemError) as malformed:
            decode_item(bad)
        assert malformed.value.refusal is Refusal.MALFORMED


def test_attachment_hash_list_is_bounded() -> None:
    item(attachment_hashes=("0" * 64,) * 32)
    with pytest.raises(ValueError, match="at most 32"):
        item(attachment_hashes=("0" * 64,) * 33)
    with pytest.raises(ValueError, match="pattern"):
        item(attachment_hashes=("not a hash",))


def test_addressed_labels_need_recipients_and_broadcast_labels_refuse_them() -> None:
    with pytest.raises(ValueError, match="name their recipients"):
        item(tlp=Tlp.RED)
    with pytest.raises(ValueError, match="whole community"):
        item(tlp=Tlp.GREEN, recipients=("term-a",))


def test_tlp_routing() -> None:
    for label in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER):
        assert may_receive(item(tlp=label), "term-b")
        assert may_forward(item(tlp=label), holder="hub", to="term-b")
    strict = item(issuer="term-a", tlp=Tlp.AMBER_STRICT, recipients=("hub",))
    assert may_receive(strict, "hub")
    assert may_receive(strict, "term-a")
    assert not may_receive(strict, "term-b")
    assert not may_forward(strict, holder="hub", to="term-b")
    assert not may_forward(strict, holder="hub", to="term-a"), "never back to the issuer"
    red = item(issuer="term-a", tlp=Tlp.RED, recipients=("hub", "term-b"))
    assert may_receive(red, "term-b")
    assert not may_forward(red, holder="hub", to="term-b"), "RED: only its issuer passes it on"
    assert may_forward(red, holder="term-a", to="term-b")


def test_identity_refs_are_keyed_and_normalised() -> None:
    key = b"k" * 32
    assert identity_ref(key, "nl-ab 12.34/56") == identity_ref(key, "NLAB123456")
    assert identity_ref(key, "NLAB123456") != identity_ref(b"x" * 32, "NLAB123456")
    assert identity_ref(key, "NLAB123456").startswith("ref:")
    assert "NLAB123456" not in identity_ref(key, "NLAB123456")
    for bad in ("", "ab", "NL<AB>12", "x" * 41):
        with pytest.raises(ValueError, match="4 to 40"):
            normalise_document_number(bad)
