"""Logging with the bot token redacted from every record."""

from __future__ import annotations

import logging
import re

# Any Bot API token, even one not in our config (a misconfigured second bot, say).
_TOKEN_RE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")


class RedactTokenFilter(logging.Filter):
    """Replace bot tokens in a record's final message."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def add_secret(self, secret: str) -> None:
        """Also redact this exact string."""
        if secret and secret not in self._secrets:
            self._secrets.append(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record with secrets removed; never drop it."""
        message = record.getMessage()
        redacted = _TOKEN_RE.sub("<token>", message)
        for secret in self._secrets:
            redacted = redacted.replace(secret, "<token>")
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            exc_text = _TOKEN_RE.sub("<token>", record.exc_text)
            for secret in self._secrets:
                exc_text = exc_text.replace(secret, "<token>")
            record.exc_text = exc_text
        if redacted != message or record.args:
            record.msg = redacted
            record.args = None
        return True


REDACTOR = RedactTokenFilter()


def setup_logging(level: int = logging.INFO, token: str = "") -> None:
    """Configure root logging once, with token redaction on every handler."""
    REDACTOR.add_secret(token)
    root = logging.getLogger()
    if not root.handlers:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
    root.setLevel(level)
    for handler in root.handlers:
        if REDACTOR not in handler.filters:
            handler.addFilter(REDACTOR)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
