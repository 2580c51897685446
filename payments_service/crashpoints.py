"""Named points in a multi-step write where a crash test stalls a real process, to SIGKILL it
exactly there (`CRASH_POINTS=refund.reserved,...`). Production refuses the setting, so in
production each call is one set lookup that never matches."""

import logging
import time

from django.conf import settings

logger = logging.getLogger(__name__)


def crash_point(name: str) -> None:
    if name in settings.CRASH_POINTS:
        logger.warning("stalled at crash point %s, waiting to be killed", name)
        time.sleep(3600)
