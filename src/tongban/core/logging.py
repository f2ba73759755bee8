"""Log filter that masks resident ID numbers and mobile numbers in every log line.

A last line of defence only: code must not log personal data in the first
place (use :mod:`tongban.core.crypto`'s ``mask_*``). The filter covers the
message, its arguments, the formatted traceback and the stack info. Attach
it to every handler (settings.LOGGING's ``mask_pii`` filter).
"""

from __future__ import annotations

import logging
import re

# 18-digit resident ID (last character may be X) and the legacy 15-digit form.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_OLD_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{6}(\d{3})(?![0-9A-Za-z])")
# Mainland mobile, optionally +86/86-prefixed and grouped 3-4-4 by spaces or dashes. Not inside a run of
# hexadecimal digits: a SHA-256 in a log line (the audit chain's anchor, which operators copy out to verify
# the chain) holds an 11-digit run starting with 1[3-9] in about one hash of fifty, and masking it
# spoilt the anchor. A number right after a word is still masked unless the word ends in a-f ("Tel1380…" is).
_PHONE_RE = re.compile(r"(?<![0-9A-Fa-f])((?:\+?86[- ]?)?1[3-9]\d)[- ]?\d{4}[- ]?(\d{4})(?![0-9A-Fa-f])")


def mask_text(text: str) -> str:
    text = _ID_RE.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    text = _OLD_ID_RE.sub(lambda m: f"{m.group(1)}******{m.group(2)}", text)
    return _PHONE_RE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class MaskPIIFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - never break logging
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True
