"""Synonyms: the words parents use for what this knowledge base's documents name otherwise
("tiền ăn trưa" for "tiền ăn bán trú"), kept by staff.

One group per line, phrasings separated by commas.  Saving replaces the knowledge base's own
list (`retrieval.synonyms.save_staff_groups`, `BOT_DATA_DIR/synonyms.tsv`); the searcher reads
it again with the next question, without a restart.  The bundled groups are shown, not edited.
Every save is written to the audit log.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from admin import audit
from admin.deps import CurrentUser, SessionDep, protected_router
from admin.templating import flash, render
from retrieval import synonyms
from retrieval.settings import get_retrieval_settings

logger = logging.getLogger(__name__)

router = protected_router(tags=["admin"])

MAX_FORM_CHARS = synonyms.MAX_LOCAL_GROUPS * (synonyms.MAX_LINE_CHARS + 1)


def _bundled() -> list[str]:
    return [", ".join(" ".join(phrasing) for phrasing in group)
            for group in synonyms.load_groups(synonyms.SYNONYMS_FILE)]


def _page(request: Request, text: str, errors: list[str] | None = None,
          status_code: int = 200) -> Response:
    return render(request, "synonyms.html", {
        "title": "Từ đồng nghĩa",
        "text": text,
        "errors": errors or [],
        "bundled": _bundled(),
        "max_groups": synonyms.MAX_LOCAL_GROUPS,
    }, status_code=status_code)


@router.get("/admin/synonyms", include_in_schema=False)
async def synonyms_page(request: Request, user: CurrentUser) -> Response:
    return _page(request, synonyms.staff_text(get_retrieval_settings().data_dir))


@router.post("/admin/synonyms", include_in_schema=False)
async def save(request: Request, user: CurrentUser, db: SessionDep,
               groups: Annotated[str, Form()] = "") -> Response:
    if len(groups) > MAX_FORM_CHARS:
        return _page(request, groups[:MAX_FORM_CHARS], [
            f"Danh sách dài quá {MAX_FORM_CHARS} ký tự."], status_code=400)
    parsed, errors = synonyms.parse_staff_text(groups)
    if errors:
        return _page(request, groups, errors, status_code=400)
    data_dir = get_retrieval_settings().data_dir
    before = len(synonyms.load_groups(synonyms.local_file(data_dir)))
    synonyms.save_staff_groups(data_dir, parsed)
    audit.record(db, actor=user.username, action="synonyms.update", target="synonyms.tsv",
                 detail={"groups": len(parsed), "before": before})
    logger.info("synonym list saved: %d groups", len(parsed))
    flash(request, f"Đã lưu {len(parsed)} nhóm từ đồng nghĩa. Trợ lý dùng ngay từ câu hỏi tiếp theo.")
    return RedirectResponse("/admin/synonyms", status_code=303)
