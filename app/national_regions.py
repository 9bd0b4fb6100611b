"""City-level units of the national dataset and the area codes of their staff.

Each provincial company gets one supply company (供电公司) per prefecture-level
city it serves, or per urban district for Beijing, Tianjin, Shanghai and
Chongqing, plus a 经济技术研究院 and a 电力科学研究院 of its own. Codes follow
the scheme of `app/catalog_data.py`: the province code plus the pinyin
initials of the place. Units that `app/data/units.json` already contains keep
their code and name there.

An area code prefix is the first four digits of the GB/T 2260 administrative
division code of the city (prefecture level). The generator draws the full
six-digit code of an ID-card number from the counties that python-stdnum's
`cn/loc` table lists under the prefix for the birth year. When the prefix
did not exist yet in that year, it draws from the province's other counties.
NOTE: the district-level split of the four municipalities and the set of
cities each provincial company serves were written from public knowledge,
not checked against State Grid's register of units.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CitySeat:
    """A city-level supply company to create: code segment, place name, area prefix."""

    segment: str
    place: str
    area_prefix: str


# Province code → (area prefix of the capital, supply companies in order).
# fmt: off
_SUPPLY_COMPANIES: dict[str, tuple[str, str]] = {
    "NC-BJ": ("1101", "CQ 城区 1101, CY 朝阳 1101, HD 海淀 1101, FT 丰台 1101, "
                      "SJS 石景山 1101, MTG 门头沟 1101, FS 房山 1101, CP 昌平 1101, "
                      "SY 顺义 1101, TZ 通州 1101, DX 大兴 1101, PG 平谷 1101, "
                      "HR 怀柔 1101, MY 密云 1101, YQ 延庆 1101"),
    "NC-TJ": ("1201", "CD 城东 1201, CX 城西 1201, CN 城南 1201, SB 市北 1201, "
                      "BH 滨海 1201, DL 东丽 1201, XQ 西青 1201, JN 津南 1201, "
                      "BC 北辰 1201, WQ 武清 1201, BD 宝坻 1201, NH 宁河 1201, "
                      "JH 静海 1201, JZ 蓟州 1201"),
    "NC-HE": ("1301", "SJZ 石家庄 1301, BD 保定 1306, XT 邢台 1305, HD 邯郸 1304, "
                      "CZ 沧州 1309, HS 衡水 1311, XA 雄安新区 1306"),
    "NC-JB": ("1302", "TS 唐山 1302, ZJK 张家口 1307, QHD 秦皇岛 1303, CD 承德 1308, "
                      "LF 廊坊 1310"),
    "NC-SX": ("1401", "TY 太原 1401, DT 大同 1402, YQ 阳泉 1403, CZ 长治 1404, "
                      "JC 晋城 1405, SZ 朔州 1406, JZ 晋中 1407, YC 运城 1408, "
                      "XZ 忻州 1409, LF 临汾 1410, LL 吕梁 1411"),
    "NC-SD": ("3701", "JN 济南 3701, QD 青岛 3702, ZB 淄博 3703, ZZ 枣庄 3704, "
                      "DY 东营 3705, YT 烟台 3706, WF 潍坊 3707, JNG 济宁 3708, "
                      "TA 泰安 3709, WH 威海 3710, RZ 日照 3711, LY 临沂 3713, "
                      "DZ 德州 3714, LC 聊城 3715, BZ 滨州 3716, HZ 菏泽 3717"),
    "EC-SH": ("3101", "SQ 市区 3101, SB 市北 3101, SN 市南 3101, PD 浦东 3101, "
                      "SJ 松江 3101, QP 青浦 3101, FX 奉贤 3101, JS 金山 3101, "
                      "CM 崇明 3101, JD 嘉定 3101, BS 宝山 3101"),
    "EC-JS": ("3201", "NJ 南京 3201, WX 无锡 3202, XZ 徐州 3203, CZ 常州 3204, "
                      "SZ 苏州 3205, NT 南通 3206, LYG 连云港 3207, HA 淮安 3208, "
                      "YC 盐城 3209, YZ 扬州 3210, ZJ 镇江 3211, TZ 泰州 3212, "
                      "SQ 宿迁 3213"),
    "EC-ZJ": ("3301", "HZ 杭州 3301, NB 宁波 3302, WZ 温州 3303, JX 嘉兴 3304, "
                      "HUZ 湖州 3305, SX 绍兴 3306, JH 金华 3307, QZ 衢州 3308, "
                      "ZS 舟山 3309, TZ 台州 3310, LS 丽水 3311"),
    "EC-AH": ("3401", "HF 合肥 3401, WH 芜湖 3402, BB 蚌埠 3403, HN 淮南 3404, "
                      "MAS 马鞍山 3405, HB 淮北 3406, TL 铜陵 3407, AQ 安庆 3408, "
                      "HS 黄山 3410, CZ 滁州 3411, FY 阜阳 3412, SZ 宿州 3413, "
                      "LA 六安 3415, BZ 亳州 3416, CHZ 池州 3417, XC 宣城 3418"),
    "EC-FJ": ("3501", "FZ 福州 3501, XM 厦门 3502, PT 莆田 3503, SM 三明 3504, "
                      "QZ 泉州 3505, ZZ 漳州 3506, NP 南平 3507, LY 龙岩 3508, "
                      "ND 宁德 3509"),
    "CC-HB": ("4201", "WH 武汉 4201, HS 黄石 4202, SY 十堰 4203, YC 宜昌 4205, "
                      "XY 襄阳 4206, EZ 鄂州 4207, JM 荆门 4208, XG 孝感 4209, "
                      "JZ 荆州 4210, HG 黄冈 4211, XN 咸宁 4212, SZ 随州 4213, "
                      "ES 恩施 4228"),
    "CC-HN": ("4301", "CS 长沙 4301, ZZ 株洲 4302, XT 湘潭 4303, HY 衡阳 4304, "
                      "SY 邵阳 4305, YY 岳阳 4306, CD 常德 4307, ZJJ 张家界 4308, "
                      "YIY 益阳 4309, CZ 郴州 4310, YZ 永州 4311, HH 怀化 4312, "
                      "LD 娄底 4313, XX 湘西 4331"),
    "CC-HA": ("4101", "ZZ 郑州 4101, KF 开封 4102, LY 洛阳 4103, PDS 平顶山 4104, "
                      "AY 安阳 4105, HB 鹤壁 4106, XX 新乡 4107, JZ 焦作 4108, "
                      "PY 濮阳 4109, XC 许昌 4110, LH 漯河 4111, SMX 三门峡 4112, "
                      "NY 南阳 4113, SQ 商丘 4114, XY 信阳 4115, ZK 周口 4116, "
                      "ZMD 驻马店 4117, JY 济源 4190"),
    "CC-JX": ("3601", "NC 南昌 3601, JDZ 景德镇 3602, PX 萍乡 3603, JJ 九江 3604, "
                      "XY 新余 3605, YT 鹰潭 3606, GZ 赣州 3607, JA 吉安 3608, "
                      "YC 宜春 3609, FZ 抚州 3610, SR 上饶 3611"),
    "NE-LN": ("2101", "SY 沈阳 2101, DL 大连 2102, AS 鞍山 2103, FS 抚顺 2104, "
                      "BX 本溪 2105, DD 丹东 2106, JZ 锦州 2107, YK 营口 2108, "
                      "FX 阜新 2109, LY 辽阳 2110, TL 铁岭 2112, CY 朝阳 2113, "
                      "PJ 盘锦 2111, HLD 葫芦岛 2114"),
    "NE-JL": ("2201", "CC 长春 2201, JL 吉林 2202, SP 四平 2203, LY 辽源 2204, "
                      "TH 通化 2205, BS 白山 2206, SY 松原 2207, BC 白城 2208, "
                      "YB 延边 2224"),
    "NE-HL": ("2301", "HEB 哈尔滨 2301, QQHE 齐齐哈尔 2302, JX 鸡西 2303, HG 鹤岗 2304, "
                      "SYS 双鸭山 2305, DQ 大庆 2306, YC 伊春 2307, JMS 佳木斯 2308, "
                      "QTH 七台河 2309, MDJ 牡丹江 2310, HH 黑河 2311, SH 绥化 2312, "
                      "DXAL 大兴安岭 2327"),
    "NE-MD": ("1501", "HLBE 呼伦贝尔 1507, XA 兴安 1522, TL 通辽 1505, CF 赤峰 1504"),
    "NW-SN": ("6101", "XA 西安 6101, TC 铜川 6102, BJ 宝鸡 6103, XY 咸阳 6104, "
                      "WN 渭南 6105, YA 延安 6106, HZ 汉中 6107, YL 榆林 6108, "
                      "AK 安康 6109, SL 商洛 6110"),
    "NW-GS": ("6201", "LZ 兰州 6201, JYG 嘉峪关 6202, JC 金昌 6203, BY 白银 6204, "
                      "TS 天水 6205, WW 武威 6206, ZY 张掖 6207, PL 平凉 6208, "
                      "JQ 酒泉 6209, QY 庆阳 6210, DX 定西 6211, LN 陇南 6212, "
                      "LX 临夏 6229, GN 甘南 6230"),
    "NW-QH": ("6301", "XN 西宁 6301, HD 海东 6302, HB 海北 6322, HN 黄南 6323, "
                      "HNZ 海南 6325, GL 果洛 6326, YS 玉树 6327, HX 海西 6328"),
    "NW-NX": ("6401", "YC 银川 6401, SZS 石嘴山 6402, WZ 吴忠 6403, GY 固原 6404, "
                      "ZW 中卫 6405"),
    "NW-XJ": ("6501", "WLMQ 乌鲁木齐 6501, KLMY 克拉玛依 6502, TLF 吐鲁番 6504, "
                      "HM 哈密 6505, CJ 昌吉 6523, BZ 博尔塔拉 6527, BYGL 巴音郭楞 6528, "
                      "AKS 阿克苏 6529, KZ 克孜勒苏 6530, KS 喀什 6531, HT 和田 6532, "
                      "YL 伊犁 6540, TC 塔城 6542, ALT 阿勒泰 6543"),
    "SW-SC": ("5101", "CD 成都 5101, ZG 自贡 5103, PZH 攀枝花 5104, LZ 泸州 5105, "
                      "DY 德阳 5106, MY 绵阳 5107, GY 广元 5108, SN 遂宁 5109, "
                      "NJ 内江 5110, LS 乐山 5111, NC 南充 5113, MS 眉山 5114, "
                      "YB 宜宾 5115, GA 广安 5116, DZ 达州 5117, YA 雅安 5118, "
                      "BZ 巴中 5119, ZY 资阳 5120, AB 阿坝 5132, GZ 甘孜 5133, "
                      "LSH 凉山 5134"),
    "SW-CQ": ("5001", "SQ 市区 5001, SB 市北 5001, SN 市南 5001, JB 江北 5001, "
                      "WZ 万州 5001, FL 涪陵 5001, QJ 黔江 5001, JJ 江津 5001, "
                      "HC 合川 5001, YC 永川 5001, CS 长寿 5001, BS 璧山 5001, "
                      "TL 铜梁 5001, TN 潼南 5001"),
    "SW-XZ": ("5401", "LS 拉萨 5401, RKZ 日喀则 5402, CD 昌都 5403, LZ 林芝 5404, "
                      "SN 山南 5405, NQ 那曲 5406, AL 阿里 5425"),
}
# fmt: on

# Directly affiliated units (直属单位) by code → area prefix of their seat.
AFFILIATED_AREA_PREFIXES: dict[str, str] = {
    "NC-DKY": "1101",
    "NC-NYY": "1101",
    "NC-JYY": "1101",
    "NC-XCJT": "1101",
    "EC-NARI": "3201",
}

# Province-level units of every provincial company (省公司所属单位), reviewed
# at city level like a supply company: code segment → name suffix.
PROVINCIAL_UNITS: dict[str, str] = {
    "JYY": "经济技术研究院",
    "DKY": "电力科学研究院",
}

# Provinces whose counties had codes of another province before a boundary
# change: Chongqing's were Sichuan's (51) until 1997.
FALLBACK_PROVINCES: dict[str, tuple[str, ...]] = {"50": ("51",)}


def supply_companies(province_code: str) -> tuple[CitySeat, ...]:
    """Return the supply companies of a provincial company, in display order."""
    _, listing = _SUPPLY_COMPANIES[province_code]
    seats = []
    for item in listing.split(","):
        segment, place, prefix = item.split()
        seats.append(CitySeat(segment, place, prefix))
    return tuple(seats)


def capital_area_prefix(province_code: str) -> str:
    """Return the area prefix of the capital of a provincial company's province."""
    return _SUPPLY_COMPANIES[province_code][0]


def provincial_company_codes() -> tuple[str, ...]:
    return tuple(_SUPPLY_COMPANIES)
