"""Seal pending audit entries, then verify the hash chain. Exit 0 when intact; exit 1 listing every problem.

manage.py audit_verify
manage.py audit_verify --anchor 12345:9f86d08…   # a tip (chain position:hash) recorded earlier in the anchor log
manage.py audit_verify --no-seal                 # only read: check the chain as the sealer left it
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tongban.core.audit import audit_verify_report


def parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise CommandError(f"bad --anchor {text!r}: expected SEQ:SHA256HEX")
    return int(seq), digest.lower()


class Command(BaseCommand):
    help = "Seal pending audit entries, walk the hash chain and report edited, inserted or deleted entries."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--anchor", action="append", default=[], help="SEQ:HASH recorded off-machine")
        parser.add_argument(
            "--no-seal",
            action="store_false",
            dest="seal",
            help="do not seal pending entries first (read only; stalled sealing is still reported)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        anchors = dict(parse_anchor(a) for a in options["anchor"])
        report = audit_verify_report(anchors=anchors, seal=options["seal"])
        if report.ok:
            pending = f" ({report.pending} pending)" if report.pending else ""
            self.stdout.write(
                self.style.SUCCESS(
                    f"audit chain intact: {report.entries} entries, tip #{report.last_seq} {report.last_hash}"
                    + pending
                )
            )
            return
        self.stderr.write(self.style.ERROR(f"audit chain BROKEN: {len(report.problems)} problem(s)"))
        for problem in report.problems:
            self.stderr.write(f"  {problem}")
        sys.exit(1)
