"""Personal numbers never stored or echoed: masking, and pseudonymous user ids."""

import hashlib
import hmac
import re

# Longest first: an ID-card number contains runs that look like a phone number.
_PATTERNS = (
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[身份证号]"),
    (re.compile(r"(?<!\d)\d{16,19}(?!\d)"), "[银行卡号]"),
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), "[手机号]"),
)


def mask_numbers(text):
    """Replace phone, ID-card and bank-card numbers with a label."""
    for pattern, label in _PATTERNS:
        text = pattern.sub(label, text)
    return text


def user_hash(openid, key):
    """A keyed hash of the openid: stable per user, useless without the key."""
    digest = hmac.new(key.encode("utf-8"), openid.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:24]
