from django.core.cache import cache, caches
from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.celery import app as celery_app


@require_GET
def home(request: HttpRequest):
    return render(request, "portal/home.html")


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return False, exc.__class__.__name__
    return True, connection.vendor


def _cache_ok() -> tuple[bool, str]:
    """The cache guards rate limits and revocations: without it most changes answer 503."""
    try:
        cache.set("healthz", "ok", 10)
        if cache.get("healthz") != "ok":
            return False, "read back nothing"
    except Exception as exc:
        return False, exc.__class__.__name__
    return True, caches["default"].__class__.__name__


def _broker_ok() -> tuple[bool, str]:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:
        return False, exc.__class__.__name__
    return True, str(transport)


@transaction.non_atomic_requests  # it reports a dead database, not fails with it
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database, database_detail = _database_ok()
    broker, broker_detail = _broker_ok()
    cache_up, cache_detail = _cache_ok()
    healthy = database and broker and cache_up
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "database": {"ok": database, "detail": database_detail},
            "broker": {"ok": broker, "detail": broker_detail},
            "cache": {"ok": cache_up, "detail": cache_detail},
        },
        status=200 if healthy else 503,
    )
