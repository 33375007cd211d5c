"""The `bot` command line: knowledge base, questions, evaluation, users.

Each command group lives in its own module; this one only assembles them.
"""

from __future__ import annotations

import typer

from bot.cli import admin, ask, kb, model, review, zalo

app = typer.Typer(help="Chatbot thông tin giáo dục: quản lý kho tri thức, hỏi thử, đánh giá.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(kb.app, name="kb", help="Quản lý kho tri thức (thêm, liệt kê, xoá, lập lại chỉ mục).")
app.add_typer(admin.app, name="admin", help="Quản lý tài khoản cán bộ.")
app.add_typer(model.app, name="model", help="Chuẩn bị mô hình nhúng (embedding) ngoại tuyến.")
app.add_typer(review.app, name="review",
              help="Câu hỏi đã được đánh giá hoặc xử lý: xuất để đo và huấn luyện lại.")
app.add_typer(zalo.app, name="zalo", help="Quản lý mã truy cập (token) Zalo OA.")
app.command("ask")(ask.ask)
app.command("eval")(ask.evaluate)
