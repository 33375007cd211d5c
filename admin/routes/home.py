"""The home page of the admin web: greeting, counts and the "Sắp hết hiệu lực" panel."""

from __future__ import annotations

import datetime as dt

from fastapi import Request
from fastapi.responses import Response

from admin import overview
from admin.deps import CurrentUser, SessionDep, protected_router
from admin.review import low_confidence_bar
from admin.templating import VN_TZ, render
from retrieval.settings import get_retrieval_settings

router = protected_router(tags=["admin"])


def vietnam_today() -> dt.date:
    return dt.datetime.now(VN_TZ).date()


def _low_confidence() -> float:
    return low_confidence_bar(get_retrieval_settings())


@router.get("/admin/", include_in_schema=False)
async def home(request: Request, user: CurrentUser, db: SessionDep) -> Response:
    settings = request.app.state.admin_settings
    today = vietnam_today()
    return render(request, "home.html", {
        "title": "Trang chủ",
        "today": today,
        "counts": overview.counts(db, low_confidence=_low_confidence()),
        "expiring": overview.expiring(db, today=today, days=settings.expiring_days),
        "expired": overview.recently_expired(db, today=today, days=settings.expiring_days),
        "expiring_days": settings.expiring_days,
    })
