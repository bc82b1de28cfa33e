"""When two company names are the same company (`normalise_company_name`): no database."""

import pytest

from accounts.company_names import normalise_company_name

YONGSHENG = "上海永盛汽车零部件"


@pytest.mark.parametrize(
    "name",
    [
        "上海永盛汽车零部件（集团）有限公司",
        "永盛汽车零部件（上海）有限公司",
        "上海永盛汽车零部件有限公司",
        "上海永盛汽车零部件(集团)有限公司",  # half-width brackets
        "永盛汽车零部件(上海)有限公司",
        "永盛汽车零部件【上海】有限公司",
        "永盛汽车零部件〔上海市〕有限公司",
        "上海市永盛汽车零部件有限公司",
        "上海永盛汽车零部件（控股）有限公司",
        "上海永盛汽车零部件（股份）有限公司",
        "上海永盛汽车零部件（控股集团）有限公司",
        "上海永盛汽车零部件（ 集团 ）股份有限公司",
        "上海永盛汽车零部件（上海）有限公司",  # the region twice
        "上海 永盛 汽车零部件 有限公司",
    ],
)
def test_bracket_region_and_group_variants_are_one_company(name):
    assert normalise_company_name(name) == YONGSHENG


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("深圳市腾讯计算机系统有限公司", "深圳腾讯计算机系统有限公司"),
        ("广东省深圳市华信有限公司", "广东深圳华信有限公司"),
        ("广西壮族自治区华信有限公司", "广西华信有限公司"),
        ("西门子（中国）有限公司", "中国西门子有限公司"),
        ("华信投资中心（有限合伙）", "华信投资中心"),
        ("ＡＣＭＥ　Ｃｏ．，Ｌｔｄ．", "Acme Co., Ltd."),  # full-width Latin
        ("深圳（南山）科技公司", "深圳南山科技"),  # a district is not a region here: kept in place
    ],
)
def test_same_company_written_differently(a, b):
    assert normalise_company_name(a) == normalise_company_name(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # A region is moved, never dropped: two cities' companies may be two legal entities.
        ("北京永盛汽车零部件有限公司", "上海永盛汽车零部件有限公司"),
        ("永盛汽车零部件有限公司", "上海永盛汽车零部件有限公司"),
        ("上海永盛（北京）有限公司", "北京永盛（上海）有限公司"),
        # Markers outside brackets are part of the name: the group is not its subsidiary.
        ("华信控股集团有限公司", "华信有限公司"),
        # 市 of 市场 is not a region's suffix.
        ("上海市场调研有限公司", "上海场调研有限公司"),
        ("上海华信", "上海华兴"),
    ],
)
def test_different_companies_stay_different(a, b):
    assert normalise_company_name(a) != normalise_company_name(b)


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("华信科技有限公司", "华信科技"),
        ("杭州新客户有限公司", "杭州新客户"),  # a leading region stays where it is
        ("上海有限公司", "上海"),  # nothing but a region: kept
        ("（上海）有限公司", "上海"),
        ("（集团）有限公司", ""),  # nothing but markers: Customer.clean refuses it
        ("", ""),
    ],
)
def test_what_is_kept(name, normalised):
    assert normalise_company_name(name) == normalised
