#!/usr/bin/env python3
"""Writes the seed corpora in corpus/<target>/ (committed; scripts/fuzz starts from them).

The tokens are real ES256 compact JWS, signed with the stand-in's public test keys
(tests/mock-provider/keys), for the targets' fixed time NOW. Run from fuzz/: ./corpus-seeds.py
"""
import base64, json, os, struct
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

NOW = 1_800_000_000
KEYS = "../tests/mock-provider/keys"
OP_KID = "0f6c5a1e-3b2d-4c8e-9a7f-1d2e3f4a5b6c"
EVENT = "http://schemas.openid.net/event/backchannel-logout"


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def sign(pem, header, claims):
    key = serialization.load_pem_private_key(open(f"{KEYS}/{pem}", "rb").read(), None)
    msg = f"{b64(j(header))}.{b64(claims)}".encode()
    r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(hashes.SHA256())))
    return f"{msg.decode()}.{b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def j(v):
    return json.dumps(v, separators=(",", ":")).encode()


def write(target, seeds):
    os.makedirs(f"corpus/{target}", exist_ok=True)
    for i, seed in enumerate(seeds):
        with open(f"corpus/{target}/seed-{i:02}", "wb") as f:
            f.write(seed if isinstance(seed, bytes) else seed.encode())


logout_claims = {
    "iss": "@ISS", "sub": "urn:fdc:gov.uk:2022:56P4CMsGh_02YOlWpd8PAOI-2sVlB2nsNU7mcLZYhYw=",
    "aud": "test-client-id", "iat": NOW, "exp": NOW + 120, "jti": "6a8c1d2e9f0b4a7c", "events": {EVENT: {}},
}
logout_header = {"alg": "ES256", "kid": OP_KID, "typ": "logout+jwt"}
write("logout_token", [
    b"\x01" + j(logout_header) + b"\0" + j(logout_claims),
    b"\x01" + j({"alg": "ES256", "kid": OP_KID}) + b"\0" + j({**logout_claims, "aud": ["test-client-id"], "jti": "b"}),
    b"\x01" + j(logout_header) + b"\0" + j({**logout_claims, "nonce": "n", "jti": "c"}),
    b"\x01" + j(logout_header) + b"\0" + j({**logout_claims, "events": {EVENT: {}, "x": {}}, "jti": "d"}),
    b"\x01" + j({**logout_header, "crit": ["exp"]}) + b"\0" + j({**logout_claims, "jti": "e"}),
    b"\x01" + j(logout_header) + b"\0" + j({**logout_claims, "exp": -9223372036854775808, "jti": "f"}),
    # A real token as One Login's stand-in signs it (its issuer is another stand-in's).
    b"\x00" + sign("op-ec-current.pem", logout_header, j({**logout_claims, "iss": "http://127.0.0.1:1"})).encode(),
    b"\x00" + sign("rogue-ec.pem", logout_header, j(logout_claims)).encode(),
    b"\x00" + b64(j({"alg": "none"})).encode() + b"." + b64(j(logout_claims)).encode() + b".",
])

id_claims = {"iss": "https://oidc.account.gov.uk/", "sub": "s", "aud": "c", "iat": NOW, "exp": NOW + 120,
             "nonce": "n", "vot": "Cl.Cm", "vtm": "https://oidc.account.gov.uk/trustmark", "sid": "x"}
write("jwt", [
    b"\x00" + sign("rogue-ec.pem", {"alg": "ES256", "kid": "fuzz"}, j(id_claims)).encode(),
    b"\x00" + sign("op-ec-current.pem", {"alg": "ES256", "kid": OP_KID, "typ": "JWT"}, j(id_claims)).encode(),
    b"\x00" + b64(j({"alg": "HS256"})).encode() + b"." + b64(b"{}").encode() + b".sig",
    b"\x01" + j({"alg": "ES256", "kid": "fuzz"}) + b"\0" + j(id_claims),
    b"\x01" + j({"alg": "ES256", "kid": "fuzz", "crit": ["b64"], "b64": False}) + b"\0" + b"{}",
    b"\x01" + j({"alg": "ES256", "jwk": {"kty": "EC"}}) + b"\0" + b"[1,2]",
    b"\x02" + struct.pack("<qqqq", NOW, NOW + 120, NOW, NOW - 5) + bytes([7, 30]),
    b"\x02" + struct.pack("<qqqq", NOW, -(2**63), NOW, 0) + bytes([1, 75]),
    b"\x03" + b'"test-client-id"\0test-client-id',
    b"\x03" + b'["test-client-id","other"]\0test-client-id',
])

write("levels", ["Cl", "Cl.Cm", "Cl.Cm.P2", "Cm.Cl.P1", "P3.Cm.Cl", "Cl.P2", "Cl.Cl", "Cm", "P0",
                 '["Cl.Cm.P2","Cl.Cm"]', '["Cl"]', "[]",
                 b"\x00\x03" + struct.pack("<Qq", 3600, 600), b"\x04\x02" + struct.pack("<Qq", 2**64 - 1, -(2**63))])

write("return_path", ["/", "/account", "/apply?step=2&x=%20", "/a/b#frag", "//evil.example", "/\\evil.example",
                      "/%2F%2Fevil.example", "/%5cevil", "https://evil.example/", "/.//evil.example", "/caf\u00e9"])

write("callback_query", ["code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj",
                         "error=access_denied&error_description=The+user+cancelled&state=af0ifjsldkj",
                         "state=s%2B1&code=c&code=second&other=x",
                         "SplxlOBeZQQYbYS6WxSbIA\0af0ifjsldkj\0\0\0flow=1",
                         "c\0s\0login_required\0Session expired in the browser\0code=later&state=later"])

bomb = ("junk=" + "x" * 45 + "; ") * 40
write("cookie_header", ["a=1; __Host-one-login-session=S; __Host-one-login-flow=F; one-login-session=X",
                        "one-login-session=abc; one-login-flow=def", "garbage;;=;", '"q"="v"; =; ;=x',
                        bomb + "\0" + "s" * 43, "a=b\0" + "F" * 22])

PURGED = "https://schemas.openid.net/secevent/risc/event-type/account-purged"
SUBJECT = {"format": "uri", "uri": "urn:fdc:gov.uk:2022:56P4CMsGh_02YOlWpd8PAOI-2sVlB2nsNU7mcLZYhYw="}
set_header = {"alg": "ES256", "kid": OP_KID, "typ": "secevent+jwt"}
set_claims = {"iss": "@ISS", "aud": "@AUD", "iat": NOW, "jti": "3f1e", "events": {PURGED: {"subject": SUBJECT}}}
write("security_event", [
    b"\x01" + j(set_header) + b"\0" + j(set_claims),
    b"\x01" + j(set_header) + b"\0" + j({**set_claims, "aud": ["x", "@AUD"], "jti": "b", "txn": "t", "toe": NOW}),
    b"\x01" + j(set_header) + b"\0" + j({**set_claims, "jti": "c", "events": {
        "https://schemas.openid.net/secevent/caep/event-type/credential-change":
            {"subject": SUBJECT, "change_type": "update", "credential_type": "email"},
        "https://vocab.account.gov.uk/secevent/v1/credentialChange/eventInformation": {"email": "a@b.example"}}}),
    b"\x01" + j(set_header) + b"\0" + j({**set_claims, "jti": "d", "sub_id": {"format": "opaque", "id": "s"},
        "events": {"https://schemas.openid.net/secevent/sse/event-type/verification": {"state": "x"}}}),
    b"\x01" + j(set_header) + b"\0" + j({**set_claims, "jti": "e", "events": {
        "https://schemas.openid.net/secevent/caep/event-type/assurance-level-change":
            {"subject": {"format": "iss_sub", "iss": "http://127.0.0.1:1/", "sub": "s"}, "namespace": "n", "current_level": "P0"}}}),
    b"\x01" + j(set_header) + b"\0" + j({**set_claims, "jti": "f", "events": {"https://example.com/new": {"x": 1}}}),
    b"\x01" + j({**set_header, "crit": ["exp"]}) + b"\0" + j({**set_claims, "jti": "g"}),
    b"\x01" + j({"alg": "ES256", "kid": OP_KID}) + b"\0" + j({**set_claims, "jti": "h"}),
    b"\x01" + j(set_header) + b"\0" + j({**set_claims, "jti": "i", "iat": NOW + 3600, "exp": -9223372036854775808}),
    b"\x01" + j(set_header) + b"\0" + j({**set_claims, "jti": "j", "events": {
        "https://schemas.openid.net/secevent/ssf/event-type/stream-updated": {"status": "disabled", "reason": "r"}}}),
    # A real SET as the stand-in's key signs it.
    b"\x00" + sign("op-ec-current.pem", set_header, j({**set_claims, "iss": "https://ssf.fuzz.example/",
                                                       "aud": "fuzz.example", "jti": "k"})).encode(),
])
