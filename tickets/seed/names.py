"""Name material for demo people: common Chinese surnames and given names, English names, companies."""

from __future__ import annotations

# The most common Chinese surnames, roughly in order of frequency.
SURNAMES: tuple[str, ...] = (
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
    "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "欧阳",
    "司马",
)
# Given names (one or two characters) common in everyday Chinese.
GIVEN_NAMES: tuple[str, ...] = (
    "伟", "芳", "娜", "洋", "敏", "静", "丽", "强", "磊", "军", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀英", "霞", "平", "刚", "桂英", "文", "华", "红", "建华", "建国", "志强", "海燕", "晓东", "丹",
    "婷婷", "欣怡", "子轩", "浩然", "梓涵", "宇航", "思远", "雨桐", "嘉怡", "俊杰", "一鸣", "佳琪", "晨曦",
    "喆", "堃", "昊天", "诗涵", "子墨", "若曦",
)
# Pinyin of the surnames above, for e-mail local parts.
SURNAME_PINYIN: dict[str, str] = {
    "王": "wang", "李": "li", "张": "zhang", "刘": "liu", "陈": "chen", "杨": "yang", "黄": "huang",
    "赵": "zhao", "吴": "wu", "周": "zhou", "徐": "xu", "孙": "sun", "马": "ma", "朱": "zhu", "胡": "hu",
    "郭": "guo", "何": "he", "高": "gao", "林": "lin", "罗": "luo", "郑": "zheng", "梁": "liang",
    "谢": "xie", "宋": "song", "唐": "tang", "许": "xu", "韩": "han", "冯": "feng", "邓": "deng",
    "曹": "cao", "彭": "peng", "曾": "zeng", "肖": "xiao", "田": "tian", "董": "dong", "袁": "yuan",
    "潘": "pan", "于": "yu", "蒋": "jiang", "蔡": "cai", "余": "yu", "杜": "du", "叶": "ye", "程": "cheng",
    "苏": "su", "魏": "wei", "吕": "lv", "丁": "ding", "任": "ren", "沈": "shen", "欧阳": "ouyang",
    "司马": "sima",
}
ENGLISH_FIRST: tuple[str, ...] = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
    "William", "Susan", "Richard", "Jessica", "Joseph", "Sarah", "Thomas", "Karen", "Emma", "Oliver",
    "Sophie", "Harry", "Chloe", "Jack", "Grace", "Daniel", "Emily", "Ethan", "Olivia", "Noah",
)
ENGLISH_LAST: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson", "Taylor",
    "Anderson", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Walker", "Hall", "Young", "King", "Wright", "Chan", "Wong", "Lee", "Cheung", "O'Brien",
)
COMPANIES_ZH: tuple[str, ...] = (
    "北京华信科技有限公司", "上海浦江贸易有限公司", "深圳前海电子有限公司", "杭州西湖软件有限公司",
    "广州天河物流有限公司", "成都锦城餐饮管理有限公司", "南京金陵建设集团", "武汉光谷通信有限公司",
)
COMPANIES_EN: tuple[str, ...] = (
    "Acme Logistics Ltd", "Harbour Trading Co.", "Bluebird Software Inc.", "Pacific Rim Foods",
    "Kowloon Electronics Ltd", "Thames Valley Consulting",
)
# (product, model prefix) pairs for appliances and electronics.
PRODUCTS: tuple[tuple[str, str], ...] = (
    ("空调 Air conditioner", "KFR-35GW"), ("冰箱 Refrigerator", "BCD-470W"),
    ("洗衣机 Washing machine", "XQG100"), ("热水器 Water heater", "JSQ30"),
    ("电视 Television", "65Q9"), ("笔记本电脑 Laptop", "NB14-PRO"), ("手机 Phone", "P60"),
    ("路由器 Router", "AX3000"), ("油烟机 Range hood", "CXW-260"), ("洗碗机 Dishwasher", "WQP12"),
)
ADDRESSES_ZH: tuple[str, ...] = (
    "北京市朝阳区建国路88号", "北京市海淀区中关村大街27号", "上海市浦东新区世纪大道100号",
    "上海市徐汇区漕溪北路18号", "广州市天河区体育西路191号", "深圳市南山区科技园南区",
    "杭州市西湖区文三路90号", "成都市武侯区人民南路四段",
)
ADDRESSES_EN: tuple[str, ...] = (
    "1 Market St, San Francisco, CA 94105", "221B Baker Street, London NW1 6XE",
    "8 Finance Street, Central, Hong Kong", "350 5th Ave, New York, NY 10118",
)
