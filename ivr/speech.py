"""Numbers, digit strings, ticket references, phone numbers and dates as words, in Mandarin and
English, so the TTS voice says them the way a person would (pure).

    number_words(2026, "zh") == "两千零二十六"
    number_words(2026, "en") == "two thousand twenty-six"
    digits_words("0123", "zh") == "零一二三"
    reference_words("REP-000123", "zh") == "R E P 零零零一二三"
    date_words(date(2026, 12, 1), "zh") == "二〇二六年十二月一日"
    date_words(date(2026, 12, 1), "en") == "December first, twenty twenty-six"
"""

from __future__ import annotations

import re
from datetime import date, datetime

from ivr.model import Language

_ZH_DIGITS = "零一二三四五六七八九"
_ZH_YEAR_DIGITS = "〇一二三四五六七八九"
_ZH_PHONE_DIGITS = "零幺二三四五六七八九"  # 1 is read 幺 in phone numbers
_EN_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen"
).split()
_EN_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_ORDINAL = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip
_EN_MONTHS = "January February March April May June July August September October November December".split()
_EN_DIGIT_SYMBOLS = {"*": "star", "#": "pound"}
_ZH_DIGIT_SYMBOLS = {"*": "星号", "#": "井号"}


def number_words(value: int, language: Language) -> str:
    """A whole number as words (negative numbers get 负 / minus)."""
    if value < 0:
        return ("负" if language == "zh" else "minus ") + number_words(-value, language)
    return _zh_number(value) if language == "zh" else _en_number(value)


def _zh_number(value: int) -> str:
    if value == 0:
        return "零"
    if value >= 10**12:
        return digits_words(str(value), "zh")
    parts: list[str] = []
    for unit_value, unit in ((10**8, "亿"), (10**4, "万"), (1, "")):
        chunk = value // unit_value % 10**4
        if chunk == 0:
            if parts and parts[-1] != "零":
                parts.append("零")
            continue
        if parts and chunk < 1000 and parts[-1] != "零":
            parts.append("零")
        parts.append(_zh_below_10000(chunk) + unit)
    text = "".join(parts).strip("零")
    if text.startswith("一十"):
        text = text[1:]  # 十二, not 一十二
    return text.replace("零零", "零")


def _zh_below_10000(value: int) -> str:
    out = ""
    zero = False
    for unit_value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = value // unit_value % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        word = "两" if digit == 2 and unit in ("千",) else _ZH_DIGITS[digit]
        out += word + unit
    return out


def _en_number(value: int) -> str:
    if value < 20:
        return _EN_ONES[value]
    if value < 100:
        tens, ones = divmod(value, 10)
        return _EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else "")
    if value < 1000:
        hundreds, rest = divmod(value, 100)
        return f"{_EN_ONES[hundreds]} hundred" + (f" {_en_number(rest)}" if rest else "")
    for unit_value, unit in ((10**9, "billion"), (10**6, "million"), (1000, "thousand")):
        if value >= unit_value:
            high, rest = divmod(value, unit_value)
            return f"{_en_number(high)} {unit}" + (f" {_en_number(rest)}" if rest else "")
    raise AssertionError("unreachable")


def ordinal_words(value: int, language: Language) -> str:
    if language == "zh":
        return "第" + _zh_number(value)
    words = _en_number(value)
    head, _, last = words.rpartition("-") if "-" in words else words.rpartition(" ")
    sep = "-" if "-" in words else " "
    if last in _EN_ORDINAL:
        last = _EN_ORDINAL[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{sep}{last}" if head else last


def digits_words(digits: str, language: Language, *, phone: bool = False) -> str:
    """Digit by digit (``*``/``#`` named); other characters are dropped."""
    if language == "zh":
        table = _ZH_PHONE_DIGITS if phone else _ZH_DIGITS
        return "".join(table[int(c)] if c.isdigit() else _ZH_DIGIT_SYMBOLS.get(c, "") for c in digits)
    words = [_EN_ONES[int(c)] if c.isdigit() else _EN_DIGIT_SYMBOLS.get(c, "") for c in digits]
    return " ".join(w for w in words if w)


def phone_words(number: str, language: Language) -> str:
    """A phone number digit by digit, in groups (``138 0013 8000``), 1 read 幺 in Mandarin."""
    digits = re.sub(r"[^0-9]", "", number)
    if number.strip().startswith("+86") and len(digits) > 11:
        digits = digits[2:]
    groups = [digits[:3], digits[3:7], digits[7:]] if len(digits) == 11 else [digits]
    sep = "，" if language == "zh" else ", "
    return sep.join(digits_words(g, language, phone=True) for g in groups if g)


def reference_words(reference: str, language: Language) -> str:
    """A ticket reference such as ``REP-000123``: the letters spelled, the digits one by one."""
    match = re.fullmatch(r"\s*([A-Za-z]*)\s*-?\s*([0-9]+)\s*", reference)
    if not match:
        return " ".join(reference)
    letters, digits = match.groups()
    spelled = " ".join(letters.upper())
    spoken = digits_words(digits, language)
    if not spelled:
        return spoken
    return f"{spelled} {spoken}" if language == "zh" else f"{spelled}, {spoken}"


def year_words(year: int, language: Language) -> str:
    if language == "zh":
        return "".join(_ZH_YEAR_DIGITS[int(c)] for c in str(year))
    high, low = divmod(year, 100)
    if 2000 <= year < 2010:
        return _en_number(year)
    if low == 0:
        return f"{_en_number(high)} hundred"
    low_words = f"oh {_en_number(low)}" if low < 10 else _en_number(low)
    return f"{_en_number(high)} {low_words}"


def date_words(day: date, language: Language) -> str:
    """二〇二六年十二月一日 / December first, twenty twenty-six."""
    if language == "zh":
        return f"{year_words(day.year, 'zh')}年{_zh_number(day.month)}月{_zh_number(day.day)}日"
    return f"{_EN_MONTHS[day.month - 1]} {ordinal_words(day.day, 'en')}, {year_words(day.year, 'en')}"


def time_words(moment: datetime, language: Language) -> str:
    """上午十点三十分 / ten thirty a.m."""
    hour, minute = moment.hour, moment.minute
    if language == "zh":
        part = "上午" if hour < 12 else "下午"
        twelve = hour if hour <= 12 else hour - 12
        text = f"{part}{_zh_number(twelve)}点"
        return text + (f"{_zh_number(minute)}分" if minute else "")
    suffix = "a.m." if hour < 12 else "p.m."
    twelve = hour % 12 or 12
    if minute == 0:
        return f"{_en_number(twelve)} {suffix}"
    mins = f"oh {_en_number(minute)}" if minute < 10 else _en_number(minute)
    return f"{_en_number(twelve)} {mins} {suffix}"


def datetime_words(moment: datetime, language: Language) -> str:
    sep = "" if language == "zh" else " at "
    return f"{date_words(moment.date(), language)}{sep}{time_words(moment, language)}"


STATUS_WORDS: dict[str, dict[Language, str]] = {
    "new": {"zh": "已受理，等待处理", "en": "received and waiting to be handled"},
    "assigned": {"zh": "已分派给工程师", "en": "assigned to an engineer"},
    "in_progress": {"zh": "正在处理中", "en": "in progress"},
    "pending_customer": {"zh": "等待您的回复", "en": "waiting for your reply"},
    "resolved": {"zh": "已解决", "en": "resolved"},
    "closed": {"zh": "已关闭", "en": "closed"},
}
TIER_WORDS: dict[str, dict[Language, str]] = {
    "standard": {"zh": "", "en": ""},
    "silver": {"zh": "银卡会员", "en": "silver member"},
    "gold": {"zh": "金卡会员", "en": "gold member"},
    "vip": {"zh": "尊贵的VIP客户", "en": "valued VIP customer"},
}


def value_words(value: str, kind: str, language: Language) -> str:
    """A call variable's value as words for a placeholder ``{name:kind}``."""
    if kind == "digits":
        return digits_words(value, language)
    if kind == "phone":
        return phone_words(value, language)
    if kind == "ref":
        return reference_words(value, language)
    if kind == "number":
        return number_words(int(value), language) if re.fullmatch(r"-?\d+", value) else value
    if kind == "date":
        try:
            if "T" in value or " " in value.strip():
                return datetime_words(datetime.fromisoformat(value), language)
            return date_words(date.fromisoformat(value), language)
        except ValueError:
            return value
    if kind == "status":
        return STATUS_WORDS.get(value, {}).get(language, value)
    if kind == "tier":
        return TIER_WORDS.get(value, {}).get(language, value)
    return value


PLACEHOLDER_KINDS = ("text", "digits", "phone", "ref", "number", "date", "status", "tier")
