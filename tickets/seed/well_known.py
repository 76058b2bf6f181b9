"""Fixed demo customers that demos, docs and other tests can rely on after ``callcenter seed``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownCustomer:
    display_name: str
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    tier: str
    """The tier the customer's seeded history is sized for (``KNOWN_ASSETS_BY_TIER``); the stored tier
    is what the value job computes from that history: 张三丰 is always VIP, others may differ a step."""
    language: str
    company: str | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None


ZHANG_SANFENG_PHONE = "+8613800138000"
ALICE_JOHNSON_PHONE = "+14155552671"

ZHANG_SANFENG = KnownCustomer(
    "张三丰", (ZHANG_SANFENG_PHONE, "+861065529988"), ("zhangsanfeng@example.cn",), "vip", "zh",
    company="武当科技有限公司", tags=("vip", "企业客户"), notes="偏好下午来电。Prefers afternoon calls.",
)
ALICE_JOHNSON = KnownCustomer(
    "Alice Johnson", (ALICE_JOHNSON_PHONE,), ("alice.johnson@example.com",), "gold", "en",
    company="Acme Logistics Ltd", tags=("english",),
)
WANG_FANG = KnownCustomer("王芳", ("+8613912345678",), ("wangfang@example.cn",), "standard", "zh")
LI_NA = KnownCustomer("李娜", ("+8615800001111", "+862155661234"), ("lina@example.cn",), "silver", "zh")
OLIVER_BROWN = KnownCustomer(
    "Oliver Brown", ("+447400123456",), ("oliver.brown@example.co.uk",), "standard", "en"
)
CHAN_TAI_MAN = KnownCustomer(
    "陳大文 Chan Tai Man", ("+85291234567",), ("chan.taiman@example.hk",), "gold", "zh"
)

WELL_KNOWN: tuple[KnownCustomer, ...] = (
    ZHANG_SANFENG, ALICE_JOHNSON, WANG_FANG, LI_NA, OLIVER_BROWN, CHAN_TAI_MAN,
)
