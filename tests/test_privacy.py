"""No phone, ID-card or bank-card number survives, however it is typed: a property test
over generated formats, then the whole path (tables, the WAL, the log lines)."""

import logging
import sqlite3
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.privacy import mask_numbers
from tests.helpers import ask, services_of

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
SEPARATORS = ["", " ", "  ", "-", ".", " - "]


@st.composite
def typed_number(draw):
    """(digits, how a resident might type them)."""
    kind = draw(st.sampled_from(["phone", "id", "card"]))
    if kind == "phone":
        digits = (
            "1"
            + draw(st.sampled_from("3456789"))
            + draw(st.text("0123456789", min_size=9, max_size=9))
        )
        groups = [digits[:3], digits[3:7], digits[7:]]
    elif kind == "id":
        digits = draw(st.text("0123456789", min_size=17, max_size=17)) + draw(
            st.sampled_from("0123456789X")
        )
        groups = [digits[:6], digits[6:14], digits[14:]]
    else:
        size = draw(st.integers(16, 19))
        digits = "62" + draw(st.text("0123456789", min_size=size - 2, max_size=size - 2))
        groups = [digits[i : i + 4] for i in range(0, size, 4)]
    separator = draw(st.sampled_from(SEPARATORS))
    typed = separator.join(groups)
    if draw(st.booleans()):
        typed = typed.translate(FULL_WIDTH)
    if kind == "phone" and draw(st.booleans()):
        typed = f"({digits[:3]}){digits[3:]}"
    if draw(st.booleans()):
        typed = " ".join(typed.replace(" ", ""))  # every digit apart
    return digits, typed


@settings(max_examples=300, deadline=None)
@given(
    typed_number(),
    st.sampled_from(["我的号码是", "卡号", "身份证", ""]),
    st.sampled_from(["", " 帮我看看", "，谢谢"]),
)
def test_no_typed_number_survives_masking(number, before, after):
    digits, typed = number
    masked = mask_numbers(before + typed + after)
    plain = masked.translate(str.maketrans("０１２３４５６７８９Ｘ", "0123456789X"))
    kept = "".join(c for c in plain if c.isdigit() or c in "Xx")
    assert digits[:11] not in kept and digits[-8:] not in kept, (typed, masked)


def test_ordinary_numbers_are_left_alone():
    for text in ("血压140/90 吃了3片", "2025年10月1日", "打12345问", "价格1999.00元", "96110"):
        assert mask_numbers(text) == text


def test_nothing_survives_in_tables_wal_or_log(app, client, wechat, caplog):
    caplog.set_level(logging.DEBUG)
    typed = [
        "１３９１２３４５６７８",
        "139.1234.5678",
        "(139)12345678",
        "1 3 9 1 2 3 4 5 6 7 8",
        "360102 19900101 123Ｘ",
        "6222 0212 3456 7890 123",
        "6222-0212-3456-7890",
    ]
    for n, number in enumerate(typed):
        ask(client, wechat, f"我的号码{number}微信字太小", 9300 + n)
        ask(client, wechat, "没用", 9400 + n)
    services = services_of(app)
    db_path = Path(services.db_path)
    conn = sqlite3.connect(db_path)
    dumped = "\n".join(conn.iterdump())
    conn.close()
    wal = db_path.with_name(db_path.name + "-wal")
    raw = (db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")).decode(
        "utf-8", "replace"
    )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for where in (dumped, raw, logged):
        flat = "".join(
            c
            for c in where.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
            if c.isdigit()
        )
        for secret in ("13912345678", "36010219900101123", "62220212345678901", "6222021234567890"):
            assert secret not in flat, secret


def test_every_character_that_folds_to_a_digit_is_a_digit():
    """mask_numbers skips a text with no str.isdigit character: that is only safe while
    no other character folds (NFKC) to a digit the patterns would read."""
    import sys
    import unicodedata

    folds_to_digit = [
        code
        for code in range(sys.maxunicode + 1)
        if unicodedata.normalize("NFKC", chr(code)) in set("0123456789") and not chr(code).isdigit()
    ]
    assert folds_to_digit == []
