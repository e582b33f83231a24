"""Schemathesis hooks for the demos' OpenAPI documents.

The security-event receiver takes a Security Event Token as `application/secevent+jwt`
(RFC 8417): a JWT in its compact form, which is text. Schemathesis has no serializer for that
media type, so this one sends the generated value as its text (anything that is not a string,
from a negative case, as JSON text).
"""

import json

import schemathesis


@schemathesis.serializer("application/secevent+jwt")
def secevent_jwt(ctx, value):
    if isinstance(value, bytes):
        return {"data": value}
    if not isinstance(value, str):
        value = json.dumps(value)
    return {"data": value.encode("utf-8")}
