"""API request limits: per signed-in user and per anonymous client IP (REST_FRAMEWORK settings).

DRF imports these while `rest_framework.views` is still loading (APIView's class body reads
DEFAULT_THROTTLE_CLASSES), so this module must not import DRF views, generics or anything
that does, such as drf-spectacular's AutoSchema; that is why they do not live in kam/api.py.
"""

import logging

from redis.exceptions import RedisError
from rest_framework import throttling
from rest_framework.settings import api_settings

logger = logging.getLogger(__name__)


class RateFromSettings:
    """Read the rate when a request arrives, not when DRF is imported.

    DRF copies DEFAULT_THROTTLE_RATES into its throttle classes at import time, so a changed
    setting (override_settings in a test) would otherwise never reach them.
    """

    def get_rate(self):
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        return super().get_rate()

    def allow_request(self, request, view):
        """Fail open while the shared cache (Redis) is down: a rate limit that cannot be
        counted must not take the whole API down with it; the rest keeps serving."""
        try:
            return super().allow_request(request, view)
        except (RedisError, ConnectionError, TimeoutError) as error:
            logger.warning("rate limits not counted, the cache is unreachable: %s", error)
            return True


class UserRateThrottle(RateFromSettings, throttling.UserRateThrottle):
    """Requests per signed-in user, counted by user id: KAM_API_THROTTLE_USER."""


class AnonRateThrottle(RateFromSettings, throttling.AnonRateThrottle):
    """Requests per anonymous client IP (see KAM_NUM_PROXIES): KAM_API_THROTTLE_ANON."""
