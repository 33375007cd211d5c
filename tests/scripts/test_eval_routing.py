"""The routing report counts a question as seen by the knowledge base exactly when the actions
ask it: routed there, or checked before an off-topic, stray yes/no or rating reply."""

from __future__ import annotations

from script_modules import load_script

from actions.answer import ActionHelp, ActionOffTopic, ActionStrayReply
from actions.rating import QUESTION_WORDS

routing = load_script("eval_routing")


def test_the_checked_intents_and_their_word_counts_are_the_actions() -> None:
    assert routing.CHECKED_INTENTS["out_of_scope"] == ActionOffTopic.min_words
    for intent in ("affirm", "deny", "skip", "cancel"):
        assert routing.CHECKED_INTENTS[intent] == ActionStrayReply.min_words
    for intent in ("rate_answer_good", "rate_answer_bad"):
        assert routing.CHECKED_INTENTS[intent] == QUESTION_WORDS
    assert routing.HELP_WORDS == ActionHelp.min_words


def test_what_reaches_the_knowledge_base() -> None:
    reaches = routing.reaches_knowledge
    assert reaches("ask_question", "hp") and reaches("nlu_fallback", "?")
    assert reaches("out_of_scope", "lich nghi tet nam nay")
    assert reaches("deny", "nhuom toc co bi phat khong") and not reaches("deny", "không ạ")
    assert reaches("rate_answer_bad", "email van phong truong")
    assert not reaches("rate_answer_bad", "/rate_answer_bad") and not reaches("rate_answer_bad", "sai rồi")
    assert reaches("give_feedback", "báo nghỉ ăn trước mấy giờ")
    assert not reaches("give_feedback", "tôi muốn góp ý") and not reaches("give_feedback", "/give_feedback")
    assert reaches("report_misinformation", "gia dinh kho khan co duoc mien tien an ko")
    assert not reaches("report_misinformation", "nghe nói trường sắp đóng cửa, có đúng không")
    assert reaches("report_misinformation", "lịch nghỉ tết")
    assert reaches("subscribe", "đăng ký xe đưa đón ở đâu")
    assert not reaches("subscribe", "đăng ký nhận thông báo") and not reaches("unsubscribe", "bỏ theo dõi")
    assert reaches("help", "tiền ăn bán trú nộp cho ai") and not reaches("help", "chỉ tôi cách dùng với")
    assert not reaches("greet", "xin chào cô")
