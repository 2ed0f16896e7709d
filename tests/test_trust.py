"""Conversations older residents can trust, on the bundled knowledge base: every example
the conversation issue quotes, through the dialogue itself (no HTTP)."""

import pytest

from bench.conversations import Bot, measure
from bot.chat import texts
from bot.chat.dialogue import CHOICE_SECONDS, CONTEXT_SECONDS

# -- a fraud alarm that does not cry wolf --------------------------------------------------

CALM = [
    "儿女都在外面打工 老伴走了三年了 一个人在家好孤单",
    "孙子打电话叫我周末去他家吃饭",
    "我要叫个的士去县医院",
    "打过去他那边说看不到我的脸 黑的",
    "手机上面有个小飞机 打电话打不出去了",
    "我崽叫我们两老这个星期天去他屋里恰饭",
    "女儿过年给我转了两千块钱过节 叫我买点好的恰",
    "县医院打电话来讲我的化验结果出来了 叫我明天去拿",
    "我有高血压 医生开的降压药一天一粒 前几天忘了吃 今朝量了一下有点高 又吃了一粒"
    " 我老伴讲药不能乱吃 吃多了会低血压 我心里有点慌 不晓得是不是要去医院看看",
    "第一個",
]


@pytest.mark.parametrize("message", CALM)
def test_ordinary_messages_raise_no_alarm(resident, message):
    reply = resident.say(message)
    assert not reply.alarm and texts.ALARM not in reply.text


def test_a_scam_in_progress_still_alarms_with_its_own_entry(resident):
    reply = resident.say("孙子打电话说他在外面打伤了人 要赔钱 叫我先转三万 别告诉他爸妈")
    assert reply.alarm and reply.text.startswith(texts.ALARM)
    assert reply.entry_id == "fraud/relative-in-trouble"


def test_the_alarm_is_not_repeated_without_new_signs(resident):
    assert resident.say("警察打电话说我涉嫌洗钱 让我把钱转到安全账户").alarm
    again = resident.say("他还说要把钱转到安全账户才能证明清白")
    assert not again.alarm
    new_sign = resident.say("现在他又叫我下载一个软件开屏幕共享")
    assert new_sign.alarm


@pytest.mark.parametrize("denial", ["我没被骗", "不是诈骗"])
def test_a_denial_withdraws_the_alarm_politely(resident, denial):
    assert resident.say("有人叫我把验证码发给他 说是银行的").alarm
    reply = resident.say(denial)
    assert reply.outcome == "alarm_withdrawn" and not reply.alarm
    assert reply.text.startswith(texts.ALARM_WITHDRAWN)


def test_a_denial_goes_on_with_the_question(resident):
    reply = resident.say("不是诈骗 我就想问下微信怎么视频通话")
    assert not reply.alarm and reply.text.startswith(texts.ALARM_WITHDRAWN)
    assert reply.entry_id == "wechat/video-call"


def test_afraid_to_answer_a_call_is_never_told_to_answer(resident):
    reply = resident.say("手机上有人给我打电话 我不敢接")
    assert "一定要接" not in reply.text and not reply.alarm


# -- emergencies first, never a menu -------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        "心口痛得厉害 像石头压着 出冷汗 痛到左手臂",
        "有人突然倒在地上不动了 喊他也不答应",
        "我老伴嘴巴歪了 讲话讲不清 右手抬不起来",
        "孙子恰东西卡住了 脸都紫了 喘不上气",
        "我被蛇咬了 脚肿起来了",
    ],
)
def test_an_emergency_starts_with_120_and_the_first_step(resident, message):
    reply = resident.say(message)
    assert reply.outcome == "emergency" and not reply.alarm
    assert reply.text.startswith("【急救】马上打120！\n先做这一步：")


def test_a_calm_first_aid_question_is_answered_without_the_siren(resident):
    reply = resident.say("心肺复苏是怎么做的 想学一下")
    assert reply.outcome == "answered" and not reply.text.startswith("【急救】")


# -- remember what we are talking about ----------------------------------------------------


SCREEN_SHARING = ("fraud/screen-share-request", "fraud/screen-share-stop")


def test_a_follow_up_stays_with_the_screen_sharing_answer(resident):
    first = resident.say("屏幕共享是什么 别人叫我开")
    if first.outcome == "choice":  # the two screen-sharing entries really differ
        first = resident.say("1")
    assert first.entry_id in SCREEN_SHARING
    followed = resident.say("怎么关 我找不到")
    assert followed.outcome == "answered" and followed.entry_id in SCREEN_SHARING


def test_a_follow_up_about_blood_pressure_pills(resident):
    first = resident.say("降压药能不能自己停掉")
    assert first.outcome == "answered" and first.category == "health"
    followed = resident.say("早上吃还是晚上吃")
    assert followed.outcome == "answered" and followed.entry_id == "health/med-bp-pill-timing"


def test_a_follow_up_about_train_tickets_is_not_about_cooking_oil(resident):
    first = resident.say("手机上怎么买火车票")
    assert first.outcome == "answered" and first.entry_id.startswith("app/")
    followed = resident.say("有冇老人优惠")
    assert followed.outcome == "answered" and followed.entry_id.startswith("app/")


def test_an_unrelated_new_question_is_not_captured_by_the_last_topic(resident):
    resident.say("微信怎么视频通话")
    reply = resident.say("血压高要注意什么")
    assert reply.outcome == "answered" and reply.category == "health"


def test_follow_ups_lapse_after_ten_minutes(resident):
    if resident.say("屏幕共享是什么 别人叫我开").outcome == "choice":
        resident.say("1")
    resident.clock.advance(CONTEXT_SECONDS + 1)
    assert resident.say("怎么关 我找不到").entry_id not in SCREEN_SHARING


def test_options_stay_valid_thirty_minutes_then_expire_politely(resident):
    offered = resident.say("2")  # the fraud topic's list
    assert offered.outcome == "topic"
    resident.clock.advance(CHOICE_SECONDS - 60)
    assert resident.say("1").outcome == "answered"
    assert resident.say("3").outcome == "topic"
    resident.clock.advance(CHOICE_SECONDS + 60)
    assert resident.say("1").text == texts.CHOICE_GONE


# -- one normal form before every rule -----------------------------------------------------


@pytest.mark.parametrize(
    "message",
    ["謝謝", "谢谢了", "好的谢谢", "要得", "晓得了 谢谢你哈", "你真好 比我崽还耐烦", "你吃饭了吗"],
)
def test_small_talk_in_many_forms(resident, message):
    reply = resident.say(message)
    assert reply.outcome == "smalltalk" and reply.text != texts.FALLBACK


def test_hello_can_you_hear_me_is_a_greeting_not_the_video_call_entry(resident):
    reply = resident.say("喂喂 听得到吗")
    assert reply.entry_id != "wechat/video-call" and reply.outcome == "smalltalk"


def test_a_traditional_pick_and_traditional_feedback(resident):
    resident.say("1")
    assert resident.say("第一個").outcome == "answered"
    assert resident.say("沒用").outcome == "feedback"


@pytest.mark.parametrize("message", ["谢谢你 微信字怎么调大", "好的 那验证码能给别人吗"])
def test_a_real_question_is_never_swallowed_as_small_talk(resident, message):
    assert resident.say(message).outcome in ("answered", "choice")


# -- fewer choices, honest declines, shorter replies ---------------------------------------


@pytest.mark.parametrize("message", ["手机字太小", "微信里的字太小"])
def test_font_size_gets_an_answer_not_a_choice(resident, message):
    assert resident.say(message).outcome == "answered"


@pytest.mark.parametrize(
    "message, where",
    [
        ("今天彩票开什么号", ""),
        ("美国总统是哪个", ""),
        ("离婚了房子怎么分", "12348"),
        ("我们村宅基地补偿标准是多少", "12345"),
        ("明天会不会落雨", "天气"),
    ],
)
def test_out_of_scope_is_declined_honestly_with_where_to_go(resident, message, where):
    reply = resident.say(message)
    assert reply.outcome == "declined" and "工作人员会补充" not in reply.text
    assert where in reply.text


def test_the_feedback_question_is_asked_once_in_a_while(resident):
    first = resident.say("微信怎么视频通话")
    second = resident.say("一天吃多少盐")
    assert texts.FOOTER in first.text and texts.FOOTER not in second.text


# -- the blind set's figures, pinned ------------------------------------------------------
# Pinned a little below what was measured (README), so that a change cannot lower what
# residents get without someone noticing. Raise a floor when the figure rises; never
# lower one to let a change through. (Here, beside the examples, so that both share one
# build of the bundled knowledge base.)


# measured 2026-12-02 (README "Measured"): floor = measured minus about 1.5 points
FLOORS = {
    "right first reply": 0.765,
    "decline recall": 0.84,
    "alarm recall": 0.94,
    "emergencies": 0.945,
    "small talk": 0.80,
    "follow-ups": 0.55,
}
CEILINGS = {"choices": 0.065, "false alarms": 0.025}


@pytest.fixture(scope="module")
def figures(real_services):
    return measure(Bot(services=real_services))


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_blind_figure_holds_its_floor(figures, name):
    assert figures[name].value >= FLOORS[name], (name, figures[name].value)


@pytest.mark.parametrize("name", sorted(CEILINGS))
def test_blind_figure_stays_under_its_ceiling(figures, name):
    assert figures[name].value <= CEILINGS[name], (name, figures[name].value)
