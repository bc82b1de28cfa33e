"""When two company names are the same company: the normalised name behind the 撞单 check.

`normalise_company_name` is a pure function of the name, stored as `Customer.name_normalised`
(unique). It ignores what does not tell companies apart:

- case, spaces, punctuation and the width of characters (ＡＢＣ, （）);
- legal forms: 有限公司, 股份有限公司, Co., Ltd., Inc.…;
- bracket style and group markers in brackets: （集团）, (控股), [股份], （有限合伙）;
- where a region is written: 永盛汽车零部件（上海）有限公司 is 上海永盛汽车零部件有限公司, and
  上海市永盛… is 上海永盛….

A region is moved, never dropped: 北京永盛 and 上海永盛 are often two legal entities (a group's
subsidiaries, or strangers), and the unique constraint would make the second impossible to
record. Whether a name without a region is the one with a region is a question for a person:
`accounts.selectors.customer_possible_duplicates` shows such near matches without blocking.
"""

import re
import unicodedata

# Legal-form suffixes and noise dropped when comparing company names.
_LEGAL_FORMS = re.compile(
    r"(股份有限公司|有限责任公司|有限公司|集团公司|公司|"
    r"co\.?,?\s*ltd\.?|company\s+limited|limited|ltd\.?|inc\.?|corp\.?|corporation|llc)",
    re.IGNORECASE,
)
_NOISE = re.compile(r"[\s\.,，。·()（）\-_/&\[\]【】〔〕]+")

# A bracketed part (any bracket style; full-width round brackets are ASCII after NFKC).
_BRACKETED = re.compile(r"[(\[【〔]([^()\[\]【】〔〕]*)[)\]】〕]")
# Bracketed markers of a group or a legal form, not of which company it is.
_MARKER = re.compile(r"(集团|控股|股份)+|有限合伙|普通合伙|特殊普通合伙")

# Provinces and other provincial-level divisions, and the prefecture-level cities, as they are
# written without their suffix; 中国 as in 西门子（中国）有限公司.
REGIONS = frozenset(
    """
    中国 北京 天津 上海 重庆 香港 澳门 台湾
    河北 山西 内蒙古 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 广西
    海南 四川 贵州 云南 西藏 陕西 甘肃 青海 宁夏 新疆
    石家庄 唐山 秦皇岛 邯郸 邢台 保定 张家口 承德 沧州 廊坊 衡水
    太原 大同 阳泉 长治 晋城 朔州 晋中 运城 忻州 临汾 吕梁
    呼和浩特 包头 乌海 赤峰 通辽 鄂尔多斯 呼伦贝尔 巴彦淖尔 乌兰察布
    沈阳 大连 鞍山 抚顺 本溪 丹东 锦州 营口 阜新 辽阳 盘锦 铁岭 朝阳 葫芦岛
    长春 四平 辽源 通化 白山 松原 白城
    哈尔滨 齐齐哈尔 鸡西 鹤岗 双鸭山 大庆 伊春 佳木斯 七台河 牡丹江 黑河 绥化
    南京 无锡 徐州 常州 苏州 南通 连云港 淮安 盐城 扬州 镇江 泰州 宿迁
    杭州 宁波 温州 嘉兴 湖州 绍兴 金华 衢州 舟山 台州 丽水
    合肥 芜湖 蚌埠 淮南 马鞍山 淮北 铜陵 安庆 黄山 滁州 阜阳 宿州 六安 亳州 池州 宣城
    福州 厦门 莆田 三明 泉州 漳州 南平 龙岩 宁德
    南昌 景德镇 萍乡 九江 新余 鹰潭 赣州 吉安 宜春 抚州 上饶
    济南 青岛 淄博 枣庄 东营 烟台 潍坊 济宁 泰安 威海 日照 临沂 德州 聊城 滨州 菏泽
    郑州 开封 洛阳 平顶山 安阳 鹤壁 新乡 焦作 濮阳 许昌 漯河 三门峡 南阳 商丘 信阳 周口 驻马店 济源
    武汉 黄石 十堰 宜昌 襄阳 鄂州 荆门 孝感 荆州 黄冈 咸宁 随州 恩施
    长沙 株洲 湘潭 衡阳 邵阳 岳阳 常德 张家界 益阳 郴州 永州 怀化 娄底
    广州 韶关 深圳 珠海 汕头 佛山 江门 湛江 茂名 肇庆 惠州 梅州 汕尾 河源 阳江 清远 东莞 中山 潮州
    揭阳 云浮
    南宁 柳州 桂林 梧州 北海 防城港 钦州 贵港 玉林 百色 贺州 河池 来宾 崇左
    海口 三亚 三沙 儋州
    成都 自贡 攀枝花 泸州 德阳 绵阳 广元 遂宁 内江 乐山 南充 眉山 宜宾 广安 达州 雅安 巴中 资阳
    贵阳 六盘水 遵义 安顺 毕节 铜仁
    昆明 曲靖 玉溪 保山 昭通 丽江 普洱 临沧
    拉萨 日喀则 昌都 林芝 山南 那曲
    西安 铜川 宝鸡 咸阳 渭南 延安 汉中 榆林 安康 商洛
    兰州 嘉峪关 金昌 白银 天水 武威 张掖 平凉 酒泉 庆阳 定西 陇南
    西宁 海东
    银川 石嘴山 吴忠 固原 中卫
    乌鲁木齐 克拉玛依 吐鲁番 哈密
    """.split()
)
_LONGEST_REGION = max(len(region) for region in REGIONS)
# 上海市, 广东省, 广西壮族自治区, 香港特别行政区; not the 市 of 市场 or 市政 (上海市场调研).
_REGION_SUFFIX = re.compile(r"省|市(?![场政])|(壮族|回族|维吾尔)?自治区|特别行政区")


def _region_at(text: str, start: int) -> str | None:
    """The region name at `start`, the longest one if several (内蒙古, not 内…)."""
    for length in range(_LONGEST_REGION, 1, -1):
        if text[start : start + length] in REGIONS:
            return text[start : start + length]
    return None


def _without_region_suffix(text: str) -> str:
    """A bracketed 上海市 or 广东省 read as 上海, 广东."""
    region = _region_at(text, 0)
    if region is None:
        return text
    suffix = _REGION_SUFFIX.match(text, len(region))
    return region if suffix is not None and suffix.end() == len(text) else text


def _leading_regions_plain(name: str) -> str:
    """上海市永盛 → 上海永盛, 广东省深圳市华信 → 广东深圳华信: up to two leading regions lose
    their suffix. A name that is nothing but a region stays as it is."""
    position = 0
    for _ in range(2):
        region = _region_at(name, position)
        if region is None:
            break
        position += len(region)
        suffix = _REGION_SUFFIX.match(name, position)
        if suffix is not None and suffix.end() < len(name):
            name = name[:position] + name[suffix.end() :]
    return name


def normalise_company_name(name: str) -> str:
    """'上海 华信 股份有限公司' and '上海华信有限公司' compare equal; so do 'Acme Co., Ltd.' and
    'ACME', and 上海永盛汽车零部件（集团）有限公司, 永盛汽车零部件（上海）有限公司 and
    上海市永盛汽车零部件有限公司 (all 上海永盛汽车零部件)."""
    name = unicodedata.normalize("NFKC", name or "").strip().lower()
    regions: list[str] = []

    def bracketed(match: re.Match) -> str:
        inside = _NOISE.sub("", match.group(1))
        if _MARKER.fullmatch(inside):
            return ""
        region = _without_region_suffix(inside)
        if region in REGIONS:
            regions.append(region)
            return ""
        return f" {inside} "  # the brackets go, what they hold stays: 深圳（南山）科技 = 深圳南山科技

    name = _BRACKETED.sub(bracketed, name)
    name = _LEGAL_FORMS.sub("", name)
    name = _leading_regions_plain(_NOISE.sub("", name))
    # A bracketed region goes in front, unless the name already starts with it.
    for region in reversed(regions):
        if not name.startswith(region):
            name = region + name
    return name
