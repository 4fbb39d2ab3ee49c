import pytest

from invoicing.taxid import is_valid_tax_id, normalize_tax_id, tax_id_kind
from tests.factories.invoicing import VALID_USCC, VALID_USCC_2, make_uscc


@pytest.mark.parametrize("value", [VALID_USCC, VALID_USCC_2, make_uscc("01000000MA1234567"),
                                   make_uscc("91310000MA1FL8BX1")])
def test_valid_usccs_pass(value):
    assert tax_id_kind(value) == "uscc"


@pytest.mark.parametrize("value", [VALID_USCC, VALID_USCC_2])
def test_one_wrong_check_character_fails(value):
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for ch in alphabet:
        if ch != value[-1]:
            assert not is_valid_tax_id(value[:-1] + ch)


def test_normalisation_is_upper_and_trim_only():
    assert normalize_tax_id(f"  {VALID_USCC.lower()}\t") == VALID_USCC
    assert normalize_tax_id("0012345678901234") == "0012345678901234"
    inner = VALID_USCC[:5] + " " + VALID_USCC[5:]
    assert normalize_tax_id(inner) == inner and not is_valid_tax_id(inner)
    with pytest.raises(TypeError):
        normalize_tax_id(91350100)


def test_legacy_ids_with_leading_zeros():
    assert tax_id_kind("000000123456789") == "legacy"          # 15
    assert tax_id_kind("00110101199003074512") == "legacy"     # 20
    assert tax_id_kind("0001234567890123") is None             # 16
    assert tax_id_kind("11010519491231002X") == "ric"          # resident id


def test_lowercase_legacy_is_normalised_not_rejected():
    assert is_valid_tax_id(normalize_tax_id(" 00000012345678a "))
