import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callback_data as cb


def test_every_family_fits_in_64_bytes_in_the_worst_case() -> None:
    assert cb.FAMILIES, "no families declared"
    for fam in cb.FAMILIES.values():
        longest = max(fam.actions, key=len)
        data = fam.build(longest, *([cb.MAX_ARG] * fam.nargs))
        assert len(data.encode("utf-8")) <= 64, fam.prefix
        assert fam.worst_case_bytes() <= 64


def test_round_trip() -> None:
    data = cb.BIND.build("yard", 17)
    assert cb.BIND.parse(data) == ("yard", (17,))


@pytest.mark.parametrize(
    "data",
    [
        "",
        "bd1:yard",
        "bd1:yard:-5",
        "bd1:yard:01",
        "bd1:yard:1:2",
        "bd2:yard:1",
        "bd1:drop:1",
        "bd1:yard:1e3",
        "bd1:yard:" + "9" * 13,
        "mn1:teams:1",
        "bd1:yard:１",
        None,
    ],
)
def test_forged_data_is_refused(data: str | None) -> None:
    with pytest.raises(cb.ForgedData):
        cb.BIND.parse(data) if data is None or data.startswith("bd") else cb.MENU.parse(data)


@given(st.text(max_size=80))
def test_parse_never_crashes_on_random_text(data: str) -> None:
    for fam in cb.FAMILIES.values():
        try:
            action, args = fam.parse(data)
        except cb.ForgedData:
            continue
        assert action in fam.actions and len(args) == fam.nargs


def test_duplicate_prefix_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        cb.family("mn", {"x"})


def test_build_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError):
        cb.BIND.build("yard", -1)
    with pytest.raises(ValueError):
        cb.BIND.build("nope", 1)
