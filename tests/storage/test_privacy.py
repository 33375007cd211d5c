"""Redaction of phone and identity numbers, and hashing of user ids."""

from __future__ import annotations

import pytest

from storage.privacy import ID_MASK, PHONE_MASK, hash_user_id, redact


@pytest.mark.parametrize("phone", [
    "0912345678",
    "0912 345 678",
    "0912.345.678",
    "0912-345-678",
    "091 234 5678",
    "09 1234 5678",
    "+84 912 345 678",
    "+84912345678",
    "84912345678",
    "028 3829 1234",  # landline, 11 digits
    "02838291234",
    "(028) 3829 1234",
    "(0236) 382 1234",
])
def test_phone_numbers_are_masked(phone: str) -> None:
    assert redact(f"Số của tôi là {phone}, gọi sau 5 giờ") == (
        f"Số của tôi là {PHONE_MASK}, gọi sau 5 giờ")


@pytest.mark.parametrize("number", [
    "001234567890",  # CCCD, 12 digits
    "001 234 567 890",
    "0012 3456 7890",
    "123456789",  # CMND, 9 digits
    "2400123456",  # 10-digit code (BHXH, mã học sinh)
])
def test_identity_numbers_are_masked(number: str) -> None:
    assert redact(f"CCCD {number} của mẹ") == f"CCCD {ID_MASK} của mẹ"


def test_several_numbers_in_one_message() -> None:
    text = "Bố 0912345678, mẹ 0987654321,CCCD 001234567890."
    assert redact(text) == f"Bố {PHONE_MASK}, mẹ {PHONE_MASK},CCCD {ID_MASK}."


def test_nothing_else_in_a_spaced_id_leaks() -> None:
    assert "890" not in redact("số định danh 001 234 567 890 nhé")


@pytest.mark.parametrize("text", [
    "Lớp 10A1 và 6A2 học buổi sáng",
    "Học phí 1.500.000 đồng một tháng",
    "Kinh phí 100.000.000 đ",
    "Tổng dự toán 1.000.000.000 đồng",
    "Tổng dự toán 2.500.000.000 đồng",
    "Khai giảng ngày 05/09/2024",
    "Hạn nộp 01-09-2024",
    "Ngày 2024-09-01",
    "ngày 01.09.2024 15 giờ họp phụ huynh",
    "Năm học 2024-2025, năm học 2024 - 2025",
    "Quyết định 1234/QĐ-UBND, Thông tư 32/2020/TT-BGDĐT",
    "Phòng 201, điểm 8,5, 35 học sinh",
    "",
])
def test_dates_amounts_and_class_names_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_redaction_is_idempotent() -> None:
    once = redact("gọi 0912345678 hoặc CCCD 001234567890")
    assert redact(once) == once


def test_hash_user_id_is_stable_salted_and_opaque() -> None:
    first = hash_user_id("8412345", "muối")
    assert first == hash_user_id("8412345", "muối")
    assert first != hash_user_id("8412345", "salt") and first != hash_user_id("8412346", "muối")
    assert len(first) == 16 and "8412345" not in first
