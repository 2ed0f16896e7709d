"""Spotting a medical emergency in progress, so the reply starts with 马上打120 and the
first thing to do, never with a menu, a choice or "I don't know".

A character n-gram classifier (scikit-learn) learned from `knowledge/emergency_examples.tsv`
(`emergency<TAB>message` happening now, `calm<TAB>message` asked for knowledge or over),
and, for the first step, the kind of emergency read from plain signs in the words.
Pure: no Flask, no database.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from bot.search.nlp import message_key
from bot.search.textclass import NgramClassifier, read_labelled

# Chosen by 5-fold cross-validation on the examples (scam stories and small talk added as
# calm, classes balanced): 89% of emergencies caught, 6% of calm first-aid questions
# given the 120 lead (a cost we accept: a missed emergency costs far more).
THRESHOLD = 0.6
# Without a plain sign of what is happening, only a very confident classifier counts.
UNNAMED_THRESHOLD = 0.85


@dataclass(frozen=True)
class Kind:
    name: str
    signs: re.Pattern
    first_step: str
    call: str = "120"


def _signs(*words):
    return re.compile("|".join(words))


# Checked in order: the first kind whose signs appear gives the first step.
KINDS = (
    Kind(
        "electric-shock",
        _signs("触电", "电到", "电打", "被电", "电击", "漏电"),
        "先拉闸断电，或用干木棍把电线挑开，不要用手直接拉人。",
    ),
    Kind(
        "fire",
        _signs("着火", "起火", "失火", "烧起来", "冒烟.*火", "火烧"),
        "先离开着火的地方，弯腰低头、用湿毛巾捂住口鼻往外走，打119。",
        "119",
    ),
    Kind(
        "drowning",
        _signs(
            "落水",
            "掉.{0,3}(河|塘|水|井|粪坑)",
            "溺水",
            "淹(着|到|水)",
            "水里.{0,4}(捞|拉)",
            "(捞|拉|救)(上来|起来)",
        ),
        "先喊人帮忙，递竹竿、绳子救，不会水不要跳下去；救上来叫不醒、没呼吸就按压胸口。",
    ),
    Kind(
        "choking",
        _signs(
            "噎",
            "卡(住|在|到)",
            "喉咙.{0,4}卡",
            "吞了.{0,6}(电池|硬币|纽扣|扣子|珠子|枣核|骨头)",
        ),
        "能咳就让他用力咳；咳不出、说不出话，马上站到他身后做海姆立克急救"
        "（双手握拳，在肚脐上方快速向里向上冲击）。",
    ),
    Kind(
        "snake-bite",
        _signs("蛇"),
        "让伤者别走动、别慌，咬伤的手脚放低不动，摘下戒指手镯；不要用嘴吸、不要割伤口。",
    ),
    Kind(
        "wasp-sting",
        _signs("马蜂", "黄蜂", "蜂.{0,2}(蜇|叮|咬)", "蜂子", "蜂窝", "胡蜂", "蜇"),
        "马上离开蜂群，用肥皂水冲洗蜇伤处；头晕、喘不上气、全身起疹子就是危险信号。",
    ),
    Kind(
        "poisoning",
        _signs(
            "农药",
            "百草枯",
            "敌敌畏",
            "老鼠药",
            "中毒",
            "蘑菇",
            "菌子",
            "炭火",
            "木炭",
            "煤气",
            "一氧化碳",
            "吃错.{0,2}药",
            "药.{0,4}吃多",
            "药.{0,4}当.{0,4}(糖|水|饮料)",
            "(降压|降糖|安眠)药.{0,6}(吃|恰)了",
            "(吃|恰)了.{0,8}(降压|降糖|安眠)药",
            "(喝|吃|恰)了?.{0,6}(消毒水|洗洁精|漂白|杀虫|除草)",
            "(消毒水|洗洁精|漂白|杀虫剂|除草剂).{0,6}(喝|吃|恰)",
            "吃了.{0,6}(一|半)?(瓶|板|把).{0,3}药",
            "几片药.{0,8}(晕|心跳|吐)",
        ),
        "煤气或炭火中毒先开窗、把人抬到通风处；喝了农药或吃错药，"
        "把药瓶、药盒带上去医院，不要自己乱催吐。",
    ),
    Kind(
        "burn",
        _signs("烫", "烧伤", "烧到", "烧着了", "开水.{0,4}(泼|淋|倒)", "油.{0,3}溅", "火.{0,3}烧"),
        "马上用流动的凉水冲15到20分钟，不要涂牙膏、酱油，起泡不要挑破。",
    ),
    Kind(
        "stroke",
        _signs(
            "中风",
            "嘴.{0,2}歪",
            "脸.{0,2}歪",
            "口角.{0,2}歪",
            "(嘴角|嘴巴).{0,4}(歪|斜|漏)",
            "半边",
            "一边.{0,4}(没力|无力|动不了|麻)",
            "(说话|讲话|讲).{0,3}(不清|含糊)",
            "讲不出话",
            "说不出话",
            "口齿不清",
            "流口水",
            "拿不起.{0,3}(筷子|东西|碗)",
            "突然.{0,4}(不讲了|不说话|眼睛发直)",
        ),
        "记下发病的时间，让他躺下、头偏向一侧，不要喂水喂药。",
    ),
    Kind(
        "chest-pain",
        _signs(
            "胸口.{0,4}(痛|疼|闷)",
            "心口.{0,6}(痛|疼|闷|压)",
            "胸.{0,2}(痛|疼|闷)",
            "心脏.{0,4}(痛|疼)",
            "压着.{0,6}(胸|心)",
            "(压|像).{0,3}(石头|大石)",
            "左.{0,2}(手|胳膊|肩).{0,4}(痛|麻)",
        ),
        "让他马上停下、坐着或半躺着别动，解开衣领；不要让他自己走路去医院。",
    ),
    Kind(
        "not-breathing",
        _signs(
            "(没|冇|无).{0,2}(呼吸|气了|出气)",
            "冇气",
            "不出气",
            "不喘气",
            "没有心跳",
            "没心跳",
            "不呼吸",
            "按.{0,4}胸口",
        ),
        "让他平躺在硬地上，双手叠放在胸口正中，用力快速往下按，每分钟100到120次，直到救护车来。",
    ),
    Kind(
        "breathing",
        _signs(
            "喘不(上|过|来)气",
            "气.{0,2}喘不(上|过|顺)",
            "嘴唇.{0,2}(发)?紫",
            "憋.{0,2}气",
            "透不过气",
        ),
        "让他坐起来、身子稍微前倾，解开衣领，开窗通风；有平时用的喷雾药就先用上。",
    ),
    Kind(
        "bleeding",
        _signs(
            "血.{0,6}(止不住|不止|一直|流不停|流个不停|好多|喷|冒)",
            "大出血",
            "流.{0,2}好多血",
            "(吐|咳|呕).{0,2}血",
            "(黑色|黑).{0,2}大便",
            "(砍|切|割|挖|锄).{0,4}(到|掉|伤|断)",
            "骨头.{0,4}(看得见|露|出来)",
            "(牛角|角).{0,2}顶",
        ),
        "用干净的毛巾或布用力按住伤口，一直按着别松手。",
    ),
    Kind(
        "seizure",
        _signs(
            "抽搐",
            "抽风",
            "羊癫疯",
            "癫痫",
            "口吐白沫",
            "(在|又|突然).{0,2}抽筋",
            "抽过去",
            "翻白眼",
        ),
        "把他身边的硬东西挪开，让他侧躺，不要往嘴里塞东西，不要按住手脚。",
    ),
    Kind(
        "allergy",
        _signs(
            "过敏",
            "喉咙.{0,3}肿",
            "全身.{0,4}(疹|包|红|疙瘩)",
            "(嘴唇|脸|嘴巴).{0,4}肿",
            "(打了|打完).{0,3}(针|青霉素).{0,8}(晕|喘|疙瘩|疹)",
        ),
        "停止接触过敏的东西；喘不上气、喉咙发紧就是危险信号，让他坐起来。",
    ),
    Kind(
        "low-blood-sugar",
        _signs(
            "低血糖",
            "血糖.{0,2}低",
            "胰岛素.{0,8}(晕|抖|汗)",
            "糖尿病.{0,10}(晕|抖|冷汗|叫不醒)",
        ),
        "还清醒能吞咽，马上吃几颗糖或喝半杯糖水；叫不醒就不要喂东西。",
    ),
    Kind(
        "severe-headache",
        _signs("头.{0,3}痛得.{0,4}(炸|裂|受不了)", "头.{0,2}(痛|疼).{0,6}吐"),
        "让他躺下别动，记下开始的时间，不要吃止痛药硬扛。",
    ),
    Kind(
        "fracture",
        _signs(
            "骨折",
            "骨头.{0,3}断",
            "好像断了",
            "摔.{0,10}(起不来|爬不起|动不了|站不起|肿|痛得|断)",
            "(掉|跌|摔)下来",
            "(腿|手臂|胳膊|手腕).{0,4}(变形|弯了|肿得)",
        ),
        "不要硬拉他起来，受伤的地方别乱动，可以用木板、硬纸板固定。",
    ),
    Kind(
        "collapse",
        _signs(
            "倒(在|下|了|地)",
            "晕倒",
            "昏倒",
            "昏过去",
            "晕过去",
            "叫不醒",
            "喊不醒",
            "喊.{0,4}不(应|答应)",
            "叫.{0,4}不(应|答应)",
            "不省人事",
            "不动了",
            "(没|冇)(有)?反应",
            "一下子.{0,3}(歪|倒)",
        ),
        "拍他肩膀、大声叫他；没反应、没有正常呼吸，就让他平躺，按压胸口正中（每分钟100到120次）。",
    ),
)
GENERAL_STEP = "让病人保持舒服的姿势别乱动，有人守着，电话保持畅通，等救护车。"


@dataclass(frozen=True)
class Emergency:
    kind: str
    first_step: str
    call: str


def kind_of(text):
    """The first kind whose signs appear in the message, or None."""
    key = message_key(text)
    for kind in KINDS:
        if kind.signs.search(key):
            return kind
    return None


def read_examples(path):
    """[(is_emergency, message)] from an `emergency|calm<TAB>message` file."""
    labels = ("emergency", "calm")
    return [(label == "emergency", text) for label, text in read_labelled(path, labels)]


class EmergencyDetector:
    def __init__(self, threshold=THRESHOLD, ngrams=(1, 3), C=30.0):
        self.threshold = threshold
        self.ngrams = ngrams
        self.C = C
        self._classifier = None

    @classmethod
    def from_file(cls, path, calm=(), **options):
        path = Path(path)
        return cls(**options).fit(read_examples(path) if path.exists() else [], calm)

    def fit(self, examples, calm=()):
        """examples: [(is_emergency, message)]; calm: more messages that are not
        emergencies (scam stories, small talk), so "打伤了人 要赔钱" stays a scam."""
        examples = list(examples) + [(False, m) for m in calm]
        if len({label for label, _ in examples}) == 2:
            self._classifier = NgramClassifier(self.ngrams, self.C, "balanced").fit(
                [message_key(m) for _, m in examples], [label for label, _ in examples]
            )
        return self

    def probability(self, text):
        if self._classifier is None:
            return 0.0
        return self._classifier.probability(message_key(text))

    def detect(self, text):
        """An Emergency when the message describes one happening now, else None."""
        if not message_key(text):
            return None
        probability = self.probability(text)
        if probability < self.threshold:
            return None
        kind = kind_of(text)
        if kind is None:
            if probability < UNNAMED_THRESHOLD:
                return None
            return Emergency("unknown", GENERAL_STEP, "120")
        return Emergency(kind.name, kind.first_step, kind.call)
