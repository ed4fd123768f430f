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
