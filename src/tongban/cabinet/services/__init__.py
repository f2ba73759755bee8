"""Cabinet services (every write). Public entry points are re-exported here."""

from tongban.cabinet.services.admin import (
    cabinet_ensure,
    compartment_set_state,
    remote_open_decide,
    remote_open_request,
)
from tongban.cabinet.services.device import (
    cabinet_set_online,
    cabinets_mark_stale_offline,
    commands_check_timeouts,
    device_event_apply,
    device_message_handle,
    doors_check_left_open,
)
from tongban.cabinet.services.items import (
    code_enter,
    deposit_create,
    dropoff_collect,
    dropoff_create,
    item_cancel,
    item_recall,
    item_reissue_code,
    item_reopen,
    item_resend_code,
    items_process_overdue,
)
from tongban.cabinet.services.outbox import outbox_dispatch

__all__ = [
    "cabinet_ensure",
    "cabinet_set_online",
    "cabinets_mark_stale_offline",
    "code_enter",
    "commands_check_timeouts",
    "compartment_set_state",
    "deposit_create",
    "device_event_apply",
    "device_message_handle",
    "doors_check_left_open",
    "dropoff_collect",
    "dropoff_create",
    "item_cancel",
    "item_recall",
    "item_reissue_code",
    "item_reopen",
    "item_resend_code",
    "items_process_overdue",
    "outbox_dispatch",
    "remote_open_decide",
    "remote_open_request",
]
