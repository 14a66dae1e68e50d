"""Pass tokens: issue/verify per second and token size, against raw Ed25519 and a JWT.

Run: ``.venv/bin/python bench/bench_passes.py [--seconds 0.5]``. Anchors measured in the
same run: raw Ed25519 sign/verify of the same bytes (the floor) and PyJWT EdDSA with the
same claims as JSON (the obvious alternative).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import jwt
import segno

from gate_protocol.passes.keys import PassKeyring, generate_pass_key
from gate_protocol.passes.token import PassClaims, PassSigner, new_pass_id, verify_pass

T0 = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def rate(action: Callable[[], object], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while time.perf_counter() < deadline:
        for _ in range(50):
            action()
        count += 50
    return count / (time.perf_counter() - start)


def driver_claims(
    pass_id: str = "PQ7X2M9K4T",  # noqa: S107 (an id, not a password)
    gates: tuple[str, ...] = ("G03", "G04"),
) -> PassClaims:
    return PassClaims(
        pass_id=pass_id,
        holder_id="H7K2M9QX",
        gates=gates,
        issued_at=T0 - timedelta(hours=20),
        not_before=T0,
        expires_at=T0 + timedelta(hours=8),
        one_time=True,
        plate="AB123CD",
    )


def size_survey(samples: int) -> None:
    print(f"token length over {samples} random keys and pass ids (typical driver pass):")
    for gates in (("G1", "G2"), ("G03", "G04"), ("IN-03", "OUT-1")):
        lengths, versions = [], set()
        for _ in range(samples):
            key_id, key = generate_pass_key()
            token = PassSigner(key, key_id).issue(driver_claims(new_pass_id(), gates))
            lengths.append(len(token))
            versions.add(segno.make(token, error="m", boost_error=False).designator)
        print(
            f"  gates {'+'.join(gates):12} chars min {min(lengths)} median "
            f"{statistics.median(lengths):.0f} max {max(lengths)}  QR {sorted(versions)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=0.5, help="time per measurement")
    parser.add_argument("--samples", type=int, default=200, help="tokens per size survey row")
    args = parser.parse_args()

    key_id, key = generate_pass_key()
    signer = PassSigner(key, key_id)
    keyring = PassKeyring({key_id: key.public_key()})
    claims = driver_claims()
    token = signer.issue(claims)
    now = T0 + timedelta(minutes=1)
    message = b"x" * 40  # about the size of the signed part
    signature = key.sign(message)
    public = key.public_key()
    jwt_claims = {
        "jti": claims.pass_id,
        "sub": claims.holder_id,
        "gates": list(claims.gates),
        "iat": int(claims.issued_at.timestamp()),
        "nbf": int(claims.not_before.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
        "one_time": True,
        "plate": claims.plate,
    }
    jwt_token = jwt.encode(jwt_claims, key, algorithm="EdDSA", headers={"kid": key_id})

    def verify_ours() -> object:
        return verify_pass(token, keyring=keyring, gate_id="G03", now=now)

    measured = {
        "issue (PassSigner.issue)": rate(lambda: signer.issue(claims), args.seconds),
        "verify (verify_pass)": rate(verify_ours, args.seconds),
        "anchor: raw Ed25519 sign": rate(lambda: key.sign(message), args.seconds),
        "anchor: raw Ed25519 verify": rate(lambda: public.verify(signature, message), args.seconds),
        "anchor: PyJWT EdDSA encode": rate(
            lambda: jwt.encode(jwt_claims, key, algorithm="EdDSA"), args.seconds
        ),
        "anchor: PyJWT EdDSA decode": rate(
            lambda: jwt.decode(
                jwt_token,
                public,
                algorithms=["EdDSA"],
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
            ),
            args.seconds,
        ),
    }
    oversized = "PG1:" + "0" * 10_000_000
    measured["verify of a 10 MB string (oversized)"] = rate(
        lambda: verify_pass(oversized, keyring=keyring, gate_id="G03", now=now), args.seconds
    )
    for name, per_second in measured.items():
        print(f"{name:40} {per_second:12,.0f} /s  {1e6 / per_second:9.1f} us")
    for label, ours, anchor in (
        ("issue / raw Ed25519 sign", "issue (PassSigner.issue)", "anchor: raw Ed25519 sign"),
        ("verify / raw Ed25519 verify", "verify (verify_pass)", "anchor: raw Ed25519 verify"),
        ("verify / PyJWT EdDSA decode", "verify (verify_pass)", "anchor: PyJWT EdDSA decode"),
    ):
        print(f"ratio {label:34} {measured[ours] / measured[anchor]:.2f}")
    pg_qr = segno.make(token, error="m", boost_error=False).designator
    jwt_qr = segno.make(jwt_token, error="m", boost_error=False).designator
    print(f"typical driver pass: {len(token)} chars, QR {pg_qr} ({segno.make(token).mode})")
    print(f"same claims as EdDSA JWT: {len(jwt_token)} chars, QR {jwt_qr}")
    size_survey(args.samples)


if __name__ == "__main__":
    main()
