"""Cabinet knobs, read from Django settings at call time (never at import), with production defaults.

Set them in the environment through settings (``CABINET_*``); see docs/deploy.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class CabinetConf:
    max_failures: int  # wrong codes within ``failure_window`` that lock the keypad
    failure_window: int  # seconds
    lock_seconds: int
    open_timeout: int  # seconds a door may take to report "opened" before it counts as jammed
    door_open_alert: int  # seconds a door may stay open before staff are alerted
    offline_after: int  # seconds without a heartbeat before a cabinet counts as offline
    command_ttl: int  # seconds a queued staff command (deposit, recall…) stays valid
    resident_command_ttl: int  # the same for a resident standing at the cabinet
    dropoff_code_days: int
    scrypt_n: int


def conf() -> CabinetConf:
    def get(name: str, default: int) -> int:
        return int(getattr(settings, name, default))

    return CabinetConf(
        max_failures=get("CABINET_MAX_FAILURES", 5),
        failure_window=get("CABINET_FAILURE_WINDOW", 600),
        lock_seconds=get("CABINET_LOCK_SECONDS", 600),
        open_timeout=get("CABINET_OPEN_TIMEOUT", 30),
        door_open_alert=get("CABINET_DOOR_OPEN_ALERT", 180),
        offline_after=get("CABINET_OFFLINE_AFTER", 45),
        command_ttl=get("CABINET_COMMAND_TTL", 600),
        resident_command_ttl=get("CABINET_RESIDENT_COMMAND_TTL", 60),
        dropoff_code_days=get("CABINET_DROPOFF_CODE_DAYS", 3),
        scrypt_n=get("CABINET_CODE_SCRYPT_N", 2**12),
    )
