"""Spotting a scam in progress, so the reply can lead with an unmistakable alarm.

Two parts must agree (unless the first is very sure), so that a lonely widow or a
grandson's dinner invitation never gets "this is a scam":
- a classifier learned from labelled messages (`knowledge/fraud_examples.tsv` and
  `fraud_*_more.tsv`: `alarm<TAB>message`, a scam happening now; `calm<TAB>message`, an
  ordinary or calm message): TF-IDF over character n-grams of the normalised text and
  logistic regression (scikit-learn), settings chosen by cross-validation there;
- plain signs of a scam in progress: money asked or sent, codes and passwords, accounts
  and cards, screen sharing, downloads and links, secrecy, urgency, an impersonated
  authority or relative. One strong sign, or two weak ones.
Measured by `bench/fraud_alarm.py` on held-out and blind sets.
"""

import re
from pathlib import Path

from bot.search.nlp import message_key
from bot.search.textclass import NgramClassifier, read_labelled

NGRAMS = (1, 2)
C = 100.0
# The classifier alone is trusted from CONFIDENT up; between THRESHOLD and CONFIDENT a
# plain sign of a scam in progress must be there too. Chosen by 5-fold cross-validation on
# the example files (bench/fraud_alarm.py --cv): 97.4% recall, 2.0% false alarms there,
# against 98.4% / 3.0% for the classifier alone and 89.6% / 1.5% for signs always.
THRESHOLD = 0.5
CONFIDENT = 0.85

# Signs of a scam happening now. Strong: one is enough with the classifier; weak: two.
STRONG_SIGNS = {
    "money": (
        r"转账",
        r"转钱",
        r"转(了|过去|给|到)",
        r"汇款",
        r"汇钱",
        r"打钱",
        r"打款",
        r"打(了|过去).{0,3}(钱|块|万)",
        r"交钱",
        r"交(了|费)",
        r"付(了|款|钱)",
        r"押金",
        r"保证金",
        r"手续费",
        r"解冻费",
        r"保险费",
        r"运费",
        r"垫(付|资|钱|了)",
        r"充值",
        r"返利",
        r"收益",
        r"本金",
        r"投资",
        r"理财",
        r"刷单",
        r"入金",
        r"提现",
        r"扫.{0,3}码",
        r"取(钱|现)",
        r"存款",
        r"贷款",
        r"借钱",
        r"赔(偿|钱|付)",
        r"退款",
        r"退费",
        r"理赔",
        r"补贴.{0,4}(领|发)",
        r"中奖",
        r"中了.{0,4}奖",
        r"充(了|钱|值)",
        r"交.{0,4}(费|金|税|罚款)",
        r"(罚款|违约金|保释金|赎金|评估费|宣传费|清关费|个人所得税|好处费|会员费|床位费|押金)",
        r"取.{0,4}(出来|现金|钱)",
        r"现金",
        r"存折",
        r"(金子|金首饰|金器|首饰)",
        r"消灾|做法|开光|念经",
        r"寄.{0,4}(钱|医药费)",
        r"凑钱",
        r"(保本|高息|翻倍|年息|月息|分红)",
        r"(投|买).{0,4}(项目|基金|股票|区块链|数字货币|黄金)",
        r"[0-9一二两三四五六七八九十百千万]+(块|元|万)",
    ),
    "code": (
        r"验证码",
        r"验证嘛",
        r"六位数",
        r"短信.{0,4}(念|读|报|发)",
        r"(念|读|报).{0,4}短信",
        r"密码",
        r"动态码",
        r"校验码",
        r"口令",
    ),
    "account": (
        r"安全账户",
        r"账户",
        r"账号",
        r"卡号",
        r"银行卡",
        r"信用卡",
        r"身份证(号|照)",
        r"医保卡",
        r"社保卡",
        r"征信",
        r"冻结",
        r"注销",
    ),
    "screen": (
        r"屏幕共享",
        r"向日葵",
        r"(眨眼|摇头|人脸识别|刷脸)",
        r"亲属卡",
        r"(身份证|证件).{0,6}(拍照|照片|正反面)",
        r"共享屏幕",
        r"开共享",
        r"远程",
        r"会议(软件|app|号)",
        r"录屏",
    ),
    "download": (
        r"下载",
        r"安装",
        r"装(个|一个)?(app|软件)",
        r"点(开)?链接",
        r"链接",
        r"二维码",
        r"网址",
        r"app",
    ),
    "isolation": (
        r"(别|不要|莫|不准|不许)(挂|接|报警)",
        r"宾馆|酒店.{0,4}(开|住)",
        r"(关掉|关了).{0,6}(铃声|电话|96110)",
        r"(新手机|飞行模式)",
        r"(柜员|银行).{0,6}问.{0,6}(就说|就讲)",
        r"(就说|就讲).{0,6}(自己用|买车|买房|给.{0,3}(儿子|崽|女))",
        r"不能(报警|告诉)",
        r"96110.{0,6}(假|骗)",
        r"(关|扣|抓).{0,6}(店里|不让走|不能上车)",
        r"上门来?(拿|取)",
    ),
    "secrecy": (
        r"(别|不要|莫|不准|不许|不能)(跟|和|告诉|讲|说).{0,8}(家|崽|女|儿|人|任何)",
        r"保密",
        r"不要声张",
        r"单独",
    ),
}
WEAK_SIGNS = {
    "urgency": (
        r"马上",
        r"立刻",
        r"赶紧",
        r"赶快",
        r"今天之内",
        r"限时",
        r"过期",
        r"来不及",
        r"抓紧",
    ),
    "authority": (
        r"公安",
        r"警察",
        r"警官",
        r"检察",
        r"法院",
        r"派出所",
        r"通缉",
        r"洗钱",
        r"逮捕",
        r"客服",
        r"医保局",
        r"社保局",
        r"银行",
        r"电力",
        r"电网",
        r"税务",
        r"快递",
        r"12306",
        r"领导",
    ),
    "relative": (
        r"(孙|崽|儿子|女儿|外孙).{0,8}(出事|住院|被抓|打伤|撞|换.{0,2}号|借|急用|要钱)",
        r"(换了?新?号码?)",
    ),
    "stranger": (
        r"陌生",
        r"不认识",
        r"网友",
        r"自称",
        r"冒充",
        r"对方",
        r"那边",
    ),
}
# Money a family member gives the resident is not money asked of them.
_FAMILY_GIVES = re.compile(
    r"(女儿|儿子|崽|女|孙子|孙女|外孙|闺女|老伴|媳妇|女婿|伢子)[^\s]{0,4}给我"
    r"(转|打|发|寄|汇)了?[^\s]{0,6}(钱|块|元|红包)"
)
_STRONG = {name: re.compile("|".join(p)) for name, p in STRONG_SIGNS.items()}
_WEAK = {name: re.compile("|".join(p)) for name, p in WEAK_SIGNS.items()}


def signs(message):
    """The names of the scam signs in a message."""
    key = _FAMILY_GIVES.sub("", message_key(message))
    found = {name for name, pattern in _STRONG.items() if pattern.search(key)}
    found |= {name for name, pattern in _WEAK.items() if pattern.search(key)}
    return found


def enough_signs(found):
    return bool(found & set(STRONG_SIGNS)) or len(found & set(WEAK_SIGNS)) >= 2


def read_examples(path):
    """[(is_alarm, message)] from an `alarm|calm<TAB>message` file."""
    return [(label == "alarm", text) for label, text in read_labelled(path, ("alarm", "calm"))]


def example_files(knowledge_dir):
    """The alarm's training files in a knowledge folder."""
    base = Path(knowledge_dir)
    return [base / "fraud_examples.tsv", *sorted(base.glob("fraud_*_more.tsv"))]


class FraudAlarm:
    def __init__(self, threshold=THRESHOLD, confident=CONFIDENT, use_signs=True):
        self.threshold = threshold
        self.confident = confident
        self.use_signs = use_signs

    @classmethod
    def from_directory(cls, knowledge_dir, **options):
        examples = []
        for path in example_files(knowledge_dir):
            if path.exists():
                examples.extend(read_examples(path))
        return cls(**options).fit(examples)

    def fit(self, examples):
        self._classifier = NgramClassifier(NGRAMS, C).fit(
            [message_key(m) for _, m in examples], [is_alarm for is_alarm, _ in examples]
        )
        return self

    def probability(self, message):
        """How likely the message shows a scam in progress (0 to 1), by the classifier."""
        return self._classifier.probability(message_key(message))

    def is_alarm(self, message):
        if not message_key(message):
            return False
        probability = self.probability(message)
        if probability < self.threshold:
            return False
        if probability >= self.confident or not self.use_signs:
            return True
        return enough_signs(signs(message))
