"""The words and patterns of Chinese time expressions: numerals, weekdays, periods of the day, relative days."""

# Data for bot/timeparse.py, kept apart so the parser's rules read on their own. Every pattern is tried with
# .match at a position of the normalised text (see FULLWIDTH), so offsets index the caller's text too.

from __future__ import annotations

import re

# One output character per input character, so match offsets index the original text too.
FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
FULLWIDTH[0x3000] = 0x20
FULLWIDTH.update({ord(a): ord(b) for a, b in zip("點兩後週禮鐘號個時", "点两后周礼钟号个时", strict=True)})

TRAILING_PUNCT = re.compile(r"[\s。.!！?？,，;；、~～]*")
SEPARATORS = re.compile(r"[\s,，、:：;；\-—–~～。.!！]*")

# --- Numbers -------------------------------------------------------------------------------

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_TENS = re.compile(r"([一二两三四五六七八九])?十([一二三四五六七八九])?|([廿卅])([一二三四五六七八九])?")
_CN = "[零〇一二两三四五六七八九十廿卅]+"
_N = f"(?:[0-9]+|{_CN})"
_N_START = "[0-9零〇一二两三四五六七八九十廿卅]"


def num(token: str) -> int | None:
    """Value of an Arabic or Chinese numeral up to 99 (or a digit-by-digit year); None if malformed."""
    if token.isascii():
        return int(token)
    tens = _CN_TENS.fullmatch(token)
    if tens:
        if tens.group(3):
            return (20 if tens.group(3) == "廿" else 30) + _CN_DIGIT.get(tens.group(4) or "零", 0)
        return _CN_DIGIT.get(tens.group(1) or "一", 1) * 10 + _CN_DIGIT.get(tens.group(2) or "零", 0)
    if all(ch in _CN_DIGIT for ch in token) and (len(token) == 1 or "两" not in token):
        return int("".join(str(_CN_DIGIT[ch]) for ch in token))
    return None


# --- Patterns (each tried with .match at the current position) -----------------------------

_WD = "[一二三四五六日天七1-7]"
WEEKDAY = {ch: i for i, ch in enumerate("一二三四五六日")} | {"天": 6, "七": 6} | {str(i + 1): i for i in range(7)}

RE_RECUR = re.compile(
    rf"(?P<daily>每一?天|每日|天天)|(?P<dp>每晚上?|每夜|每早上?)"
    rf"|每个?(?:周|星期|礼拜)(?P<wd>{_WD})|每个?月的?(?P<md>{_N})[号日]"
)
RE_DUR_HM = re.compile(
    rf"(?:(?P<half>半)个?(?:小时|钟头)|(?P<q>[一二两三1-3])刻钟"
    rf"|(?P<h>[0-9]+(?:\.[0-9]+)?|{_CN})个?(?P<hh>半)?(?:小时|钟头|钟)(?:[零〇]?(?P<hm>{_N})分钟?)?"
    rf"|(?P<m>{_N})分钟?)\s*(?:以后|之后|后)"
)
RE_DUR_DAY = re.compile(rf"(?P<n>{_N})(?P<ge>个)?(?P<unit>天|日|周|星期|礼拜|月)\s*(?:以后|之后|后)")
RE_YMD_NUM = re.compile(r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})(?![0-9])[日号]?")
RE_YMD_CN = re.compile(
    rf"(?:(?P<y>[0-9]{{4}}|[零〇一二三四五六七八九]{{4}})|(?P<yrel>今|明|后|去|前))年\s*"
    rf"(?P<m>{_N})月份?\s*(?P<d>{_N})[日号]?"
)
RE_MD_CN = re.compile(rf"(?:(?P<mrel>本|这个?|下个?)月|(?P<m>{_N})月份?)\s*(?P<d>{_N})[日号]?")
RE_MD_SLASH = re.compile(r"(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})(?![0-9/])")
# "12.5" is 5 December; "2.5小时后" never gets here (durations are read first).
RE_MD_DOT = re.compile(r"(?P<m>1[0-2]|0?[1-9])\.(?P<d>3[01]|[12][0-9]|0?[1-9])(?![0-9.])")

# Named days (bot/holidays.py resolves the working days and the lunar calendar).
FIXED_FESTIVALS: dict[str, tuple[int, int]] = {
    "元旦": (1, 1),
    "妇女节": (3, 8),
    "三八节": (3, 8),
    "植树节": (3, 12),
    "劳动节": (5, 1),
    "五一": (5, 1),
    "青年节": (5, 4),
    "儿童节": (6, 1),
    "六一": (6, 1),
    "建党节": (7, 1),
    "建军节": (8, 1),
    "教师节": (9, 10),
    "国庆节": (10, 1),
    "国庆": (10, 1),
}
LUNAR_FESTIVALS: dict[str, tuple[int, int]] = {
    "春节": (1, 1),
    "大年初一": (1, 1),
    "元宵节": (1, 15),
    "元宵": (1, 15),
    "端午节": (5, 5),
    "端午": (5, 5),
    "七夕节": (7, 7),
    "七夕": (7, 7),
    "中秋节": (8, 15),
    "中秋": (8, 15),
    "重阳节": (9, 9),
    "重阳": (9, 9),
    "腊八节": (12, 8),
    "腊八": (12, 8),
    "小年": (12, 23),
}
EVE_WORDS = ("除夕", "大年三十", "年三十")  # the last day of the lunar year (腊月 has 29 or 30 days)
_FESTIVAL_WORDS = sorted([*FIXED_FESTIVALS, *LUNAR_FESTIVALS, *EVE_WORDS], key=len, reverse=True)
RE_NAMED_DAY = re.compile(
    r"(?P<monthend>月底|月末)|(?P<monthstart>月初)"
    r"|(?P<wkrel>下下个?|下个?|这个?|本)?周末"
    r"|(?P<workday>下一?个工作日)"
    rf"|(?P<fest>{'|'.join(_FESTIVAL_WORDS)})"
)
LUNAR_MONTHS = {
    "正": 1,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
    "十一": 11,
    "冬": 11,
    "十二": 12,
    "腊": 12,
}
_LUNAR_DIGITS = "一二三四五六七八九"
_LUNAR_DAY = rf"初[{_LUNAR_DIGITS}十]|十[{_LUNAR_DIGITS}]|二十[{_LUNAR_DIGITS}]?|廿[{_LUNAR_DIGITS}]|三十"
# A lunar date needs 农历, or a month only the lunar calendar has (正月, 冬月, 腊月), or a day like 初八 / 廿三:
# "八月十五" alone stays the solar 15 August.
RE_LUNAR_DATE = re.compile(
    rf"(?:农历|阴历)(?P<m1>十[一二]|[正冬腊一二三四五六七八九十])月(?P<d1>{_LUNAR_DAY})"
    rf"|(?P<m2>[正冬腊])月(?P<d2>{_LUNAR_DAY})"
    rf"|(?P<m3>十[一二]|[一二三四五六七八九十])月(?P<d3>初[{_LUNAR_DIGITS}十]|廿[{_LUNAR_DIGITS}])"
)


def lunar_day(token: str) -> int:
    """Value of a lunar day name (初八 = 8, 廿三 = 23, 三十 = 30)."""
    if token.startswith("初"):
        return 10 if token[1] == "十" else _LUNAR_DIGITS.index(token[1]) + 1
    if token.startswith("廿"):
        return 20 + _LUNAR_DIGITS.index(token[1]) + 1
    if token == "三十":
        return 30
    if token.startswith("二十"):
        return 20 + (_LUNAR_DIGITS.index(token[2]) + 1 if len(token) > 2 else 0)
    return 10 + _LUNAR_DIGITS.index(token[1]) + 1  # 十一..十九


# "3号楼" is a building, not the 3rd of the month.
RE_DAY = re.compile(rf"(?P<d>{_N})[日号](?![楼院门线床房室单元栋座期])")
RE_REL_DAY_PERIOD = re.compile(r"(?P<d>今|明|昨)(?P<p>早上|早晨|晨|早|晚上|晚|夜里|夜)")
RE_REL_DAY = re.compile(r"大后天|大前天|(?:今|明|后|昨|前)(?:天|儿个?)|(?:今|明|昨)日")
RE_WEEKDAY = re.compile(rf"(?P<rel>下下个?|上上个?|下个?|上个?|本|这个?)?(?:周|星期|礼拜)(?P<wd>{_WD})")
RE_WD_NOTE = re.compile(rf"\s*[(（]?\s*(?:周|星期|礼拜)(?P<wd>{_WD})\s*[)）]?")
RE_BOUNDARY = re.compile(r"$|[\s,，、:：;；。.!！?？~～-]")
RE_GAP = re.compile(r"\s*(?:的\s*)?")
RE_PERIOD = re.compile(
    rf"凌晨|早上|早晨|清晨|上午|中午|正午|午间|下午|午后|傍晚|黄昏|晚上|晚间|夜晚|夜里|夜间|深夜|半夜|午夜"
    rf"|[早晚夜](?=\s*{_N_START})"
)
RE_CLOCK_COLON = re.compile(r"(?P<h>[0-9]{1,2}):(?P<m>[0-9]{2})(?::(?P<s>[0-9]{2}))?(?![0-9])")
RE_CLOCK_CN = re.compile(
    rf"(?P<h>{_N})(?:点|时)钟?"
    rf"(?:(?P<zheng>整)|(?P<half>半)|(?P<q>[一三13])刻钟?|(?P<zero>[零〇])?(?P<m>{_N})(?P<fen>分钟?)?)?"
)

REL_DAY_OFFSET = {"大后": 3, "大前": -3, "今": 0, "明": 1, "后": 2, "昨": -1, "前": -2}
REL_YEAR = {"今": 0, "明": 1, "后": 2, "去": -1, "前": -2}
REL_WEEK = {"本": 0, "这": 0, "这个": 0, "下": 1, "下个": 1, "下下": 2, "下下个": 2}
REL_WEEK |= {"上": -1, "上个": -1, "上上": -2, "上上个": -2}

PERIOD_KIND = {
    "凌晨": "dawn",
    "早上": "morning", "早晨": "morning", "清晨": "morning", "早": "morning", "晨": "morning",
    "上午": "forenoon",
    "中午": "noon", "正午": "noon", "午间": "noon",
    "下午": "afternoon", "午后": "afternoon",
    "傍晚": "dusk", "黄昏": "dusk",
    "晚上": "evening", "晚间": "evening", "夜晚": "evening", "晚": "evening",
    "夜里": "night", "夜间": "night", "夜": "night", "深夜": "night",
    "半夜": "midnight", "午夜": "midnight",
}  # fmt: skip
# Hour used when only a period is given ("礼拜三晚上"); 24 means the midnight ending that day.
PERIOD_DEFAULT_HOUR = {
    "dawn": 5, "morning": 8, "forenoon": 9, "noon": 12, "afternoon": 15,
    "dusk": 18, "evening": 19, "night": 22, "midnight": 24,
}  # fmt: skip


def period_hour(kind: str, hour: int) -> int | None:
    """Apply a period to a written hour (下午3点 → 15); None if they contradict (上午15点)."""
    if kind == "dawn":
        return 0 if hour == 12 else (hour if 0 <= hour <= 8 else None)
    if kind in ("morning", "forenoon"):
        return hour if 0 <= hour <= 12 else None
    if kind == "noon":
        return hour + 12 if 1 <= hour <= 4 else (hour if 10 <= hour <= 14 else None)
    if kind in ("afternoon", "dusk"):
        return hour + 12 if 1 <= hour <= 11 else (hour if 12 <= hour <= 23 else None)
    # Evening and night: 12 (or 0) is the midnight ending the day; small hours belong to the night after.
    if hour in (0, 12):
        return 24
    small = 4 if kind == "evening" else 5
    if 1 <= hour <= small:
        return 24 + hour
    if hour <= 11:
        return hour + 12
    return hour if hour <= 24 else None
