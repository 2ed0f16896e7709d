"""What became of a message: the one list of outcome names, with the Chinese words staff
and coordinators read. The names are stored in the usage log, so a value never changes
once it has been written; add a new member rather than renaming one."""

from enum import StrEnum


class Outcome(StrEnum):
    ANSWERED = "answered"  # an entry's answer (also after a pick, and under an alarm)
    CHOICE = "choice"  # a short list of entries to pick from
    FALLBACK = "fallback"  # in scope, but nothing in the base matched well enough
    DECLINED = "declined"  # out of scope: an honest decline that says where to go
    ALARM = "alarm"  # a scam in progress and no entry matched: the alarm alone
    ALARM_WITHDRAWN = "alarm_withdrawn"  # 我没被骗 after an alarm
    EMERGENCY = "emergency"  # 【急救】 first, then the first-aid entry
    SMALLTALK = "smalltalk"
    GREETING = "greeting"  # a new follower's welcome
    MENU = "menu"
    TOPIC = "topic"  # a menu topic's list of entries
    PAGE = "page"  # the next page of a long answer
    CHOICE_GONE = "choice_gone"  # a number after the options expired
    FEEDBACK = "feedback"  # 有用 / 没用
    HUMAN = "human"  # 人工
    EMPTY = "empty"
    MEDIA = "media"  # a picture, video, location or link the bot cannot read
    VOICE_UNRECOGNISED = "voice_unrecognised"
    GUARDIAN = "guardian"  # binding and unbinding family guardians
    SCREENSHOT = "screenshot"  # a forwarded screenshot, judged in the background
    EVENT = "event"  # an event that needs no reply
    UNKNOWN = "unknown"  # a message type WeChat may add later
    RETRY = "retry"  # WeChat's retry of a message already answered
    ERROR = "error"  # a failing part: the resident got an apology


NAMES = {
    Outcome.ANSWERED: "直接回答",
    Outcome.CHOICE: "给出选项",
    Outcome.FALLBACK: "没答上（知识库里没有）",
    Outcome.DECLINED: "没答上（不在服务范围，已婉拒）",
    Outcome.ALARM: "防诈骗提醒",
    Outcome.ALARM_WITHDRAWN: "撤回防诈骗提醒",
    Outcome.EMERGENCY: "急救提示",
    Outcome.SMALLTALK: "寒暄",
    Outcome.GREETING: "欢迎语",
    Outcome.MENU: "菜单",
    Outcome.TOPIC: "话题列表",
    Outcome.PAGE: "长回答的下一页",
    Outcome.CHOICE_GONE: "选项已过期",
    Outcome.FEEDBACK: "收到评价",
    Outcome.HUMAN: "转人工",
    Outcome.EMPTY: "空消息",
    Outcome.MEDIA: "图片、语音等",
    Outcome.VOICE_UNRECOGNISED: "语音没听清",
    Outcome.GUARDIAN: "亲情守护",
    Outcome.SCREENSHOT: "截图鉴别",
    Outcome.EVENT: "事件",
    Outcome.UNKNOWN: "不认识的消息",
    Outcome.RETRY: "重发的消息",
    Outcome.ERROR: "出错（已致歉）",
}

# A question the bot did not answer: the reports' 未能回答 and the staff review queue.
UNANSWERED = (Outcome.FALLBACK, Outcome.DECLINED)
# A question answered from the base, by one entry or by a list to pick from.
MATCHED = (Outcome.ANSWERED, Outcome.CHOICE)


def name(outcome):
    """The Chinese word for an outcome; a name the code no longer makes reads as itself."""
    try:
        return NAMES[Outcome(outcome)]
    except ValueError:
        return outcome
