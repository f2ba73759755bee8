"""Pure rules of the queue: opening hours, priority eligibility, the fair call order.

The fair call order (documented in docs/architecture.md, "Queue"):

1. A ticket is in the *priority class* when it has a priority reason (appointment,
   military, elderly, disabled, pregnant) and its ``queued_at`` has come, or when it
   is a normal ticket that has waited ``max_wait_boost_minutes`` or longer (wait boost).
   An appointment ticket checked in early is queued at its slot's start, so it ranks as
   a normal ticket, last in line, until its slot begins.
2. Within a class, tickets are called oldest ``queued_at`` first (ties by id).
3. A window that has called ``max_priority_in_row`` priority tickets in a row takes the
   oldest *normal* ticket next if one is waiting, so normal tickets are never starved.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from django.utils import timezone
from django.utils.translation import gettext
from stdnum import exceptions as stdnum_exceptions
from stdnum.cn import ric

from tongban.catalog.models import Center
from tongban.core.cache import ConfigCache
from tongban.core.calendar import is_workday
from tongban.queueing.errors import InvalidIdNumber
from tongban.queueing.models import PriorityReason, QueueSettings

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SELF_DECLARED = (
    PriorityReason.MILITARY,
    PriorityReason.ELDERLY,
    PriorityReason.DISABLED,
    PriorityReason.PREGNANT,
)

CONFIG_TTL_SECONDS = 30.0
# rules, queues, a window's queues: a change in the admin takes effect within CONFIG_TTL_SECONDS
config_cache = ConfigCache(CONFIG_TTL_SECONDS)


def settings_for(center: Center) -> QueueSettings:
    """The center's rules (cached ``CONFIG_TTL_SECONDS``); the defaults when none was configured."""

    def load() -> QueueSettings:
        found = QueueSettings.objects.filter(center_id=center.pk).first()
        return found if found is not None else QueueSettings(center_id=center.pk)

    return config_cache.get(("rules", center.pk), load)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=64)
def parse_networks(text: str) -> tuple[Network, ...]:
    """The networks of ``QueueSettings.kiosk_networks``: one address or network a line (blank lines and
    ``#`` comments skipped). ``ValueError`` names the first line that is neither."""
    found = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            found.append(ipaddress.ip_network(line, strict=False))
        except ValueError:
            raise ValueError(
                gettext("第 %(line)d 行“%(value)s”不是 IP 地址或网段（如 10.12.0.0/16）")
                % {"line": number, "value": line}
            ) from None
    return tuple(found)


def ticket_machine_allowed(rules: QueueSettings, client_ip: str) -> bool:
    """May a ticket be taken from ``client_ip`` (``accounts.http.client_ip``; "" when unknown)? Yes when the
    center names no networks; otherwise only from an address in one of them."""
    if not rules.kiosk_networks:
        return True
    try:
        networks = parse_networks(rules.kiosk_networks)
        address = ipaddress.ip_address(client_ip)
    except ValueError:  # a list saved around the form's check, or no address: refuse rather than open up
        return False
    return any(address in network for network in networks)


def enabled_reasons(rules: QueueSettings) -> list[str]:
    configured = [str(r) for r in (rules.enabled_reasons or [])]
    return configured or [str(r) for r in SELF_DECLARED]


@dataclass(frozen=True)
class HallStatus:
    open: bool
    next_open: datetime | None  # when closed: the next opening moment within a week
    today_hours: list[tuple[str, str]]
    closes_at: datetime | None = None  # when open: the end of today's last period (None: open 24 hours)

    def closes_before(self, at: datetime) -> bool:
        """Whether the hall closes for the day before ``at`` (a wait that long runs past closing time)."""
        return self.closes_at is not None and at > self.closes_at


def opening_periods(center: Center, day: date) -> list[tuple[time, time]]:
    """Opening periods on ``day`` by the center's configured hours (a 24-hour center's are not read: see
    ``open_24h``). A statutory holiday closes the hall; a make-up working day (调休上班日) uses Monday's
    hours; a weekend day has the hours configured for it, if any."""
    workday = is_workday(day)
    weekday = day.weekday()
    if weekday < 5 and not workday:
        return []
    key = "mon" if (weekday >= 5 and workday) else DAY_KEYS[weekday]
    periods = (center.opening_hours or {}).get(key) or []
    result: list[tuple[time, time]] = []
    for start, end in periods:
        result.append((time.fromisoformat(start), time.fromisoformat(end)))
    return result


def hall_status(center: Center, at: datetime | None = None) -> HallStatus:
    at = timezone.localtime(at or timezone.now())
    if center.open_24h:
        return HallStatus(True, None, [("00:00", "24:00")])
    today = at.date()
    periods = opening_periods(center, today)
    shown = [(s.strftime("%H:%M"), e.strftime("%H:%M")) for s, e in periods]
    now_t = at.time()
    tz = timezone.get_current_timezone()
    if any(s <= now_t < e for s, e in periods):
        closes = datetime.combine(today, max(e for _s, e in periods), tzinfo=tz)
        return HallStatus(True, None, shown, closes)
    for offset in range(8):
        day = today + timedelta(days=offset)
        for start, _end in opening_periods(center, day):
            candidate = datetime.combine(day, start, tzinfo=tz)
            if candidate > at:
                return HallStatus(False, candidate, shown)
    return HallStatus(False, None, shown)


def birth_date(id_number: str) -> date:
    try:
        number = ric.validate(id_number)
        return ric.get_birth_date(number)
    except stdnum_exceptions.ValidationError as exc:
        raise InvalidIdNumber() from exc


def age_on(id_number: str, day: date) -> int:
    born = birth_date(id_number)
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))
