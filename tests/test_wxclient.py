"""The test client's crypto agrees with WeChat's published sample vectors."""

from tests.wxclient import decrypt, encrypt, sign

SAMPLE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
SAMPLE_APP_ID = "wxb11529c136998cb6"
SAMPLE_CIPHERTEXT = (
    "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg=="
)


def test_encrypt_matches_published_vector():
    got = encrypt("我是中文abcd123", SAMPLE_KEY, SAMPLE_APP_ID, random16=b"aaaabbbbccccdddd")
    assert got == SAMPLE_CIPHERTEXT


def test_decrypt_matches_published_vector():
    assert decrypt(SAMPLE_CIPHERTEXT, SAMPLE_KEY) == ("我是中文abcd123", SAMPLE_APP_ID)


def test_signature_sorts_its_parts():
    assert sign("b", "a", "c") == sign("c", "b", "a")
    assert sign("pamtest", "1409304348", "xxxxxx") != sign("pamtest", "1409304348", "yyyyyy")
