"""Statistics pages for staff and admins: the dashboard with its trend alerts, the printable
daily summary, the CSV/XLSX exports, and the chart scripts served from the installed
`chartkick` package (no CDN, nothing copied into the repository).

Exports are open to staff and admins alike (staff handle the feedback they export) and every
one is written to the audit log (action "export") with its range, school and row count.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import chartkick
from fastapi import HTTPException, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy.orm import Session

from admin import audit, exports, stats
from admin.alerts import trend_alerts
from admin.deps import CurrentUser, SessionDep, protected_router
from admin.sessions import AdminUser
from admin.stats import StatsFilter
from admin.templating import render
from admin.trends import Alert, TrendRule
from storage.models import utcnow

logger = logging.getLogger(__name__)

router = protected_router(tags=["admin"])

VENDOR_DIR = Path(chartkick.__file__).resolve().parent / "django" / "static" / "chartkick"
VENDOR_FILES = ("chartkick.js", "Chart.bundle.js")
VENDOR_CACHE = "public, max-age=31536000, immutable"
EXPORTS: dict[str, tuple[str, Callable[[Session, StatsFilter], exports.Table]]] = {
    "questions": ("cau-hoi", exports.questions_table),
    "feedback": ("gop-y-phan-anh", exports.feedback_table),
    "stats": ("thong-ke", exports.stats_table),
}
MSG_BAD_DATE = "Ngày không hợp lệ (cần dạng năm-tháng-ngày), đang hiển thị {days} ngày gần nhất."
MSG_TOO_LONG = "Khoảng thời gian dài quá {days} ngày: đã rút lại còn {days} ngày tính đến ngày kết thúc."


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def parse_filter(start: str | None, end: str | None, school: str | None) -> tuple[StatsFilter, str]:
    """The filter asked for in the query string, and a Vietnamese note when it had to be fixed."""
    school = (school or "").strip() or None
    default = stats.default_filter(school=school)
    first, last = _date(start), _date(end)
    if (start and first is None) or (end and last is None):
        return default, MSG_BAD_DATE.format(days=stats.DEFAULT_DAYS)
    last = last or default.end
    first = first or last - dt.timedelta(days=stats.DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
    if (last - first).days >= stats.MAX_DAYS:
        first = last - dt.timedelta(days=stats.MAX_DAYS - 1)
        return StatsFilter(start=first, end=last, school=school), MSG_TOO_LONG.format(days=stats.MAX_DAYS)
    return StatsFilter(start=first, end=last, school=school), ""


@functools.lru_cache(maxsize=1)
def vendor_version() -> str:
    """Version of the installed chartkick package: part of the script URLs, so a year of caching is safe."""
    return importlib.metadata.version("chartkick")


def trend_rule(request: Request) -> TrendRule:
    settings = request.app.state.admin_settings
    return TrendRule(min_count=settings.trend_min_count, factor=settings.trend_factor)


def day_label(day: dt.date) -> str:
    return "hôm nay" if day == stats.local_today() else f"ngày {day.strftime('%d/%m/%Y')}"


def chart_data(board: stats.Dashboard) -> dict[str, object]:
    """What the page's charts draw (the same numbers as its tables), embedded as JSON.

    Series are lists of [label, value] pairs so the charts keep this order; days are labelled
    dd/mm (dd/mm/yy when the range crosses a year), as Vietnamese read dates.
    """
    pattern = "%d/%m" if board.filter.start.year == board.filter.end.year else "%d/%m/%y"
    return {
        "messages_per_day": [[day.strftime(pattern), n] for day, n in board.messages_per_day.items()],
        "unanswered_per_day": [[day.strftime(pattern), n] for day, n in board.unanswered_per_day.items()],
        "channels": [[channel, n] for channel, n in board.messages_per_channel.items()],
        "ratings": [["Hữu ích", board.ratings["good"]], ["Chưa hữu ích", board.ratings["bad"]]],
        "tickets": [[exports.KIND_LABELS[kind], n] for kind, n in board.tickets_by_kind.items()],
    }


def _alerts(db: Session, request: Request, day: dt.date, school: str | None) -> list[tuple[Alert, str]]:
    alerts = trend_alerts(db, day=day, rule=trend_rule(request), school=school)
    return [(alert, alert.message(day_label(day))) for alert in alerts]


@router.get("/admin/stats", include_in_schema=False)
async def dashboard(request: Request, user: CurrentUser, db: SessionDep, start: str | None = None,
                    end: str | None = None, school: str | None = None) -> Response:
    flt, note = parse_filter(start, end, school)
    board = stats.build_dashboard(db, flt)
    return render(request, "stats.html", {
        "title": "Thống kê",
        "board": board,
        "flt": flt,
        "note": note,
        "schools": stats.schools(db),
        "alerts": _alerts(db, request, flt.end, flt.school),
        "alert_day": day_label(flt.end),
        "charts": chart_data(board),
        "kind_labels": exports.KIND_LABELS,
        "query": _query(start=flt.start.isoformat(), end=flt.end.isoformat(), school=flt.school),
        "vendor_version": vendor_version(),
    })


def _query(**params: str | None) -> str:
    """A query string of the non-empty `params`, URL-encoded (school names have spaces and accents)."""
    return urlencode({key: value for key, value in params.items() if value})


def _summary(db: Session, request: Request, day: str | None, school: str | None
             ) -> tuple[stats.Dashboard, list[tuple[Alert, str]], str]:
    chosen = _date(day)
    note = "" if chosen or not day else "Ngày không hợp lệ, đang hiển thị hôm nay."
    chosen = chosen or stats.local_today()
    flt = StatsFilter(start=chosen, end=chosen, school=(school or "").strip() or None)
    return stats.build_dashboard(db, flt), _alerts(db, request, chosen, flt.school), note


@router.get("/admin/stats/summary", include_in_schema=False)
async def summary(request: Request, user: CurrentUser, db: SessionDep, day: str | None = None,
                  school: str | None = None) -> Response:
    board, alerts, note = _summary(db, request, day, school)
    return render(request, "stats_summary.html", {
        "title": f"Tổng hợp ngày {board.filter.end.strftime('%d/%m/%Y')}",
        "board": board, "alerts": alerts, "note": note, "kind_labels": exports.KIND_LABELS,
        "schools": stats.schools(db), "generated": utcnow(),
        "query": _query(day=board.filter.end.isoformat(), school=board.filter.school),
    })


def _download(db: Session, user: AdminUser, table: exports.Table, name: str, flt: StatsFilter, fmt: str) -> Response:
    if fmt not in exports.FORMATS:
        raise HTTPException(status_code=404)
    body = exports.render(table, fmt)
    filename = exports.filename(name, flt, fmt)
    audit.record(db, actor=user.username, action="export", target=filename, detail={
        "table": name, "start": flt.start.isoformat(), "end": flt.end.isoformat(),
        "school": flt.school or "", "rows": len(table.rows), "format": fmt,
    })
    logger.info("export %s by user id %s (%d rows)", filename, user.id, len(table.rows))
    return Response(body, media_type=exports.CONTENT_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


@router.get("/admin/stats/summary.{fmt}", include_in_schema=False)
async def summary_export(request: Request, user: CurrentUser, db: SessionDep, fmt: str, day: str | None = None,
                         school: str | None = None) -> Response:
    board, alerts, _ = _summary(db, request, day, school)
    table = exports.summary_table(board, [text for _, text in alerts])
    return _download(db, user, table, "tong-hop", board.filter, fmt)


@router.get("/admin/exports/{name}.{fmt}", include_in_schema=False)
async def export(request: Request, user: CurrentUser, db: SessionDep, name: str, fmt: str,
                 start: str | None = None, end: str | None = None, school: str | None = None) -> Response:
    if name not in EXPORTS or fmt not in exports.FORMATS:
        raise HTTPException(status_code=404)
    flt, _ = parse_filter(start, end, school)
    prefix, build = EXPORTS[name]
    return _download(db, user, build(db, flt), prefix, flt, fmt)


@router.get("/admin/vendor/{filename}", include_in_schema=False)
async def vendor(filename: str) -> Response:
    """Chart.js and chartkick.js from the installed package, cached for a year."""
    if filename not in VENDOR_FILES:
        raise HTTPException(status_code=404)
    return FileResponse(VENDOR_DIR / filename, media_type="text/javascript",
                        headers={"Cache-Control": VENDOR_CACHE})
