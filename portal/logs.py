"""Log filters (wired in settings.LOGGING)."""

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """Django logs a refused request (403 PermissionDenied, 400 BadRequest) with the
    exception's traceback: dozens of lines for what is one expected event, burying the
    real errors. A 4xx keeps its one line; a 5xx keeps its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if 400 <= getattr(record, "status_code", 0) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
