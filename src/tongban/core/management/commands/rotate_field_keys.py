"""Re-encrypt every encrypted field under the newest key in TONGBAN_FIELD_KEYS.

Key rotation: put the new key first in TONGBAN_FIELD_KEYS (keep the old ones after it), restart,
run this, check it reports 0 remaining, then drop the old key. See docs/deploy.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tongban.core.services import field_keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt encrypted personal-data fields under the newest TONGBAN_FIELD_KEYS key."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        counts = field_keys_rotate(batch_size=options["batch_size"])
        for label, (rotated, total) in sorted(counts.items()):
            self.stdout.write(f"  {label}: {rotated} re-encrypted of {total}")
        self.stdout.write(self.style.SUCCESS("all encrypted fields now use the newest key"))
