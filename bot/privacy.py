"""Personal numbers never stored or echoed: masking, and pseudonymous user ids.

Numbers are found on a normal form of the digits (full-width ０-９ and Ｘ read as 0-9 and X)
with the separators people type between them (spaces, dashes, dots, brackets), and
replaced in the original text, so the rest of a message or reply is left as it was.
"""

import base64
import hashlib
import hmac
import re
import unicodedata

_SEP = r"[\s\-.·()（）]{0,3}"
# Longest first: an ID-card number contains runs that look like a phone number.
_PATTERNS = (
    (re.compile(rf"(?<![\dXx])(?:\d{_SEP}){{17}}[\dXx](?![\dXx])"), "[身份证号]"),
    (re.compile(rf"(?<!\d)(?:\d{_SEP}){{15,18}}\d(?!\d)"), "[银行卡号]"),
    (
        re.compile(rf"(?<!\d)(?:\+?86{_SEP})?[(（]?1{_SEP}[3-9](?:{_SEP}\d){{9}}(?!\d)"),
        "[手机号]",
    ),
)


class _DigitFolds(dict):
    """str.translate's table: a character NFKC folds to one of 0-9, X, x or + becomes
    that; any other stays. Filled as characters are first met, so it holds only the
    characters residents use."""

    def __missing__(self, code):
        folded = unicodedata.normalize("NFKC", chr(code))
        self[code] = folded if len(folded) == 1 and folded in "0123456789Xx+" else code
        return self[code]


_DIGIT_FOLDS = _DigitFolds()


def _digits_view(text):
    """The text with full-width and other digit forms as ASCII, one character for one."""
    return text.translate(_DIGIT_FOLDS)


def mask_numbers(text):
    """Replace phone, ID-card and bank-card numbers with a label, whatever their format."""
    # Every character NFKC folds to a digit is itself a digit to str.isdigit (full-width,
    # superscript, circled, mathematical; tests/test_privacy.py checks all of Unicode),
    # so a text with none holds no number to mask: most messages stop here.
    if not any(char.isdigit() for char in text):
        return text
    view = _digits_view(text)
    for pattern, label in _PATTERNS:
        spans = [m.span() for m in pattern.finditer(view)]
        for start, end in reversed(spans):
            # The label has no digits: replacing it in both keeps them aligned.
            text = text[:start] + label + text[end:]
            view = view[:start] + label + view[end:]
    return text


def user_hash(openid, key):
    """A keyed hash of the openid: stable per user, useless without the key."""
    digest = hmac.new(key.encode("utf-8"), openid.encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:24]


def _fernet(key):
    from cryptography.fernet import Fernet

    digest = hashlib.sha256(("seal:" + key).encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(openid, key):
    """An openid we must write (to message a family member later), encrypted with a key
    derived from the user-hash key: never stored readable."""
    return _fernet(key).encrypt(openid.encode("utf-8")).decode("ascii")


def unseal(token, key):
    return _fernet(key).decrypt(token.encode("ascii")).decode("utf-8")
