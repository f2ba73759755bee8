"""The admin names every app and model in the admin's language, not by its Python module."""

import pytest

pytestmark = pytest.mark.django_db

CHINESE = [
    "排队叫号",
    "智能文件柜管理",
    "好差评",
    "24小时自助服务",
    "账号与登录",
    "柜机告警",
    "设备指令",
    "远程开格",
]
ENGLISH = ["Queue and calling", "Smart cabinets", "Service ratings", "Accounts and sign-in", "Cabinet alert"]


def test_the_admin_index_reads_in_chinese_and_in_english(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert [name for name in CHINESE if name not in html] == []
    for module_name in (
        ">Queueing<",
        ">Cabinet<",
        ">Ratings<",
        ">Selfservice<",
        ">Device commands<",
        ">Alerts<",
    ):
        assert module_name not in html
    admin_client.cookies["django_language"] = "en"
    english = admin_client.get("/admin/").content.decode()
    assert [name for name in ENGLISH if name not in english] == []
