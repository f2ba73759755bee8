import copy
import json

import pytest
from django.core.management import CommandError, call_command

from tongban.catalog.models import (
    Bundle,
    Center,
    Department,
    GuideVersion,
    MaterialType,
    Matter,
    Synonym,
    Window,
    Zone,
)
from tongban.catalog.transfer import (
    CatalogImportInvalid,
    catalog_dump,
    catalog_export,
    catalog_import,
    catalog_parse,
    materials_csv_export,
    materials_csv_import,
)
from tongban.core.models import AuditEntry

pytestmark = pytest.mark.django_db

MODELS = (Department, MaterialType, Matter, GuideVersion, Center, Zone, Window, Bundle, Synonym)


def counts():
    return {m.__name__: m.objects.count() for m in MODELS}


def test_demo_catalog_loads_the_center_windows_matters_and_bundles(demo_catalog):
    assert demo_catalog.created["matters"] == 45
    assert len(demo_catalog.published) == 45
    center = Center.objects.get(code="YP-CBXC")
    assert center.open_24h is True
    assert [z.name for z in center.zones.all()] == [
        "咨询台",
        "查询/打印自助区",
        "24小时自助服务区",
        "全综窗受理区",
        "等候区",
        "填表区",
        "母婴室",
        "开水房",
        "休息区",
    ]
    windows = list(center.windows.order_by("number"))
    assert [(w.number, w.kind) for w in windows] == [(n, "comprehensive") for n in range(1, 7)] + [
        (7, "specialised")
    ]
    assert windows[0].matter_groups.count() == 8
    assert list(windows[6].matter_groups.values_list("code", flat=True)) == ["HJ"]
    assert (windows[6].name, windows[6].name_en) == (
        "7号居住证/人口专窗",
        "Specialised window 7: residence permits and household registration",
    )  # every window of the demo has an English name (the English workbench shows it)
    assert not center.windows.filter(name_en="").exists()
    birth = Bundle.objects.get(name="出生一件事")
    assert {"YB-MATERNITY", "YB-NEWBORN"} <= set(birth.matters.values_list("code", flat=True))
    maternity = Matter.objects.get(code="YB-MATERNITY")
    assert sorted(maternity.review_departments.values_list("code", flat=True)) == ["YP-RS", "YP-YB"]
    assert Department.objects.get(code="YP-YB").name == "杨浦区医疗保障局"
    assert Synonym.objects.get(term="病历本").expansions == "门急诊就医记录册"
    assert set(Bundle.objects.values_list("name", flat=True)) == {"出生一件事", "退休一件事", "身后一件事"}
    entry = AuditEntry.objects.get(action="catalog.import")
    assert entry.data["created"]["matters"] == 45
    bulk = AuditEntry.objects.get(action="catalog.guide.publish_bulk")
    assert len(bulk.data["published"]) == 45 and bulk.data["note"] == "演示目录"
    assert {"matter": "YB-MATERNITY", "version": 1} in bulk.data["published"]


def test_importing_the_same_file_twice_changes_nothing(demo_catalog):
    before = counts()
    report = catalog_import(data=catalog_export())
    assert report.published == []
    assert not report.created and not report.updated
    assert report.unchanged["matters"] == 45 and report.unchanged["guides"] == 45
    assert counts() == before


def test_export_round_trips_through_yaml_and_json(demo_catalog):
    exported = catalog_export()
    for fmt in ("yaml", "json"):
        assert catalog_parse(catalog_dump(exported, fmt=fmt), fmt=fmt) == exported
    matter = next(m for m in exported["matters"] if m["code"] == "YB-RECORD-BOOK")
    assert matter["guide"]["synonyms"] == "病历本 病历卡 病历册 换病历本 看病本子"
    assert matter["guide"]["materials"][0] == {
        "material_type": "SS_CARD",
        "name": "社会保障卡",
        "form": "original",
        "count": 1,
        "required": True,
        "rongque": False,
        "template_url": "",
        "notes": "或居民身份证",
    }


def test_a_changed_guide_in_the_file_publishes_a_new_version_and_keeps_the_old(demo_catalog):
    data = catalog_export()
    rec = next(m for m in data["matters"] if m["code"] == "YB-MATERNITY")
    rec["guide"]["promised_days"] = 8
    rec["name"] = "生育保险待遇申领"
    report = catalog_import(data={"matters": [rec]}, note="2027年版")
    assert report.published == [("YB-MATERNITY", 2)]
    assert report.updated["matters"] == 1
    matter = Matter.objects.get(code="YB-MATERNITY")
    assert (matter.name, matter.current_version.version, matter.current_version.promised_days) == (
        "生育保险待遇申领",
        2,
        8,
    )
    assert matter.current_version.change_note == "2027年版"
    assert GuideVersion.objects.get(matter=matter, version=1).promised_days == 10


def test_an_invalid_file_is_rejected_whole_with_every_error_by_record_and_field(demo_catalog):
    before = counts()
    data = {
        "format": "tongban-catalog/1",
        "departments": [
            {"code": "YP-NEW", "name": "一个本该导入的有效部门"},
            {"code": "YP-BAD", "review_days": "三天"},
        ],
        "material_types": [{"code": "NEW_TYPE", "name": "新材料"}],
        "matters": [
            {
                "code": "M-BAD",
                "name": "坏事项",
                "type": "licence",
                "department": "YP-NOPE",
                "review_departments": ["YP-YB", "YP-GONE"],
                "guide": {
                    "promised_days": -1,
                    "online": "yes",
                    "materials": [{"material_type": "NEW_TYPE"}, {"material_type": "MISSING", "count": 0}],
                },
            },
            {
                "code": "M-BAD",
                "name": "重复编码",
                "type": "benefit",
                "department": "YP-YB",
                "guide": {"promised_days": 1},
            },
        ],
        "centers": [
            {
                "code": "C-X",
                "name": "中心",
                "district": "杨浦区",
                "address": "地址",
                "opening_hours": {"mon": [["17:00", "09:00"]], "xyz": []},
                "windows": [{"number": 1, "matter_groups": ["NOPE"]}, {"number": 1}],
            }
        ],
        "bundles": [{"code": "B-X", "name": "一件事", "matters": ["YB-NEWBORN"]}],
        "extra": [],
    }
    with pytest.raises(CatalogImportInvalid) as exc:
        catalog_import(data=data)
    got = {(e["record"], e["field"], e["message"]) for e in exc.value.details["errors"]}
    assert got == {
        ("文件", "extra", "未知的部分"),
        ("departments[1] YP-BAD", "name", "必须填写"),
        ("departments[1] YP-BAD", "review_days", "应为 0 到 60 之间的整数"),
        ("matters[1] M-BAD", "code", "“M-BAD”在文件中重复"),
        ("matters[0] M-BAD", "type", "应为 license、benefit、confirmation、public_service、other_admin 之一"),
        ("matters[0] M-BAD", "department", "引用的“YP-NOPE”不存在"),
        ("matters[0] M-BAD", "review_departments", "引用的“YP-GONE”不存在"),
        ("matters[0] M-BAD", "guide.promised_days", "应为 0 到 365 之间的整数（工作日）"),
        ("matters[0] M-BAD", "guide.online", "应为 是/否"),
        ("matters[0] M-BAD", "guide.materials[1].material_type", "材料类型“MISSING”不存在"),
        ("matters[0] M-BAD", "guide.materials[1].count", "份数应为 1 到 20 之间的整数"),
        ("centers[0] C-X", "opening_hours.mon", '应为时段列表，如 [["09:00", "17:00"]]，开始早于结束'),
        ("centers[0] C-X", "opening_hours.xyz", "应为 mon、tue、wed、thu、fri、sat、sun 之一"),
        ("centers[0] C-X", "windows[0].matter_groups", "引用的“NOPE”不存在"),
        ("centers[0] C-X", "windows[1].number", "窗口号重复"),
        ("bundles[0] B-X", "matters", "一件事至少包含两个事项"),
    }
    assert exc.value.message == "导入文件有 16 处错误，未导入任何内容"
    assert counts() == before
    assert not Department.objects.filter(code="YP-NEW").exists()
    assert AuditEntry.objects.filter(action="catalog.import").count() == 1  # only the demo load


def test_a_failure_while_writing_rolls_back_everything(demo_catalog, monkeypatch):
    import tongban.catalog.transfer as transfer

    before = counts()
    data = copy.deepcopy(catalog_export())
    data["departments"].append({"code": "YP-LATE", "name": "晚到的部门"})
    data["matters"][0]["guide"]["promised_days"] = 1

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(transfer, "guides_publish_bulk", boom)
    with pytest.raises(RuntimeError):
        catalog_import(data=data)
    assert counts() == before
    assert not Department.objects.filter(code="YP-LATE").exists()


def test_dry_run_reports_what_would_change_and_writes_nothing(demo_catalog):
    before = counts()
    data = {
        "departments": [{"code": "YP-DRY", "name": "试运行部门"}],
        "synonyms": [{"term": "病历本", "expansions": "门急诊就医记录册 病历"}],
    }
    report = catalog_import(data=data, dry_run=True)
    assert report.dry_run is True
    assert (report.created["departments"], report.updated["synonyms"]) == (1, 1)
    assert counts() == before
    assert Synonym.objects.get(term="病历本").expansions == "门急诊就医记录册"


def test_unparseable_text_is_one_listed_error():
    with pytest.raises(CatalogImportInvalid) as exc:
        catalog_parse("matters: [unclosed", fmt="yaml")
    assert len(exc.value.errors) == 1 and exc.value.errors[0].record == "文件"
    with pytest.raises(CatalogImportInvalid):
        catalog_parse("[1, 2]", fmt="json")


def test_materials_csv_round_trip_and_change(demo_catalog):
    text = materials_csv_export()
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[0] == "matter,order,material_type,name,form,count,required,rongque,template_url,notes"
    assert "YB-RECORD-BOOK,1,SS_CARD,社会保障卡,original,1,是,否,,或居民身份证" in lines
    assert materials_csv_import(text=text).published == []

    changed = text.replace(
        "YB-RECORD-BOOK,1,SS_CARD,社会保障卡,original,1,是,否,,或居民身份证",
        "YB-RECORD-BOOK,1,SS_CARD,社会保障卡,original,1,是,否,,或居民身份证、医保电子凭证",
    )
    report = materials_csv_import(text=changed, note="材料说明更新")
    assert report.published == [("YB-RECORD-BOOK", 2)]
    guide = Matter.objects.get(code="YB-RECORD-BOOK").current_version
    assert guide.materials.first().notes == "或居民身份证、医保电子凭证"
    assert guide.change_note == "材料说明更新"


def test_materials_csv_errors_name_the_line_and_column(demo_catalog):
    text = (
        "matter,order,material_type,form,count,required,rongque,colour\n"
        "YB-NEWBORN,1,BIRTH_CERT,original,1,是,否,红\n"
        "YB-NOPE,2,ID_CARD,original,1,是,否,\n"
        "YB-NEWBORN,3,BIRTH_CERT,scan,x,也许,否,\n"
    )
    with pytest.raises(CatalogImportInvalid) as exc:
        materials_csv_import(text=text)
    got = {(e["record"], e["field"], e["message"]) for e in exc.value.details["errors"]}
    assert got == {
        ("文件", "colour", "未知的列"),
        ("第 3 行", "matter", "事项“YB-NOPE”不存在"),
        ("第 4 行", "count", "“x”应为正整数"),
        ("第 4 行", "required", "“也许”应为 是/否"),
        ("第 4 行", "form", "形式应为 both、copy、electronic、original 之一"),
        ("第 4 行", "material_type", "与第 2 行重复（同一事项）"),
    }
    assert GuideVersion.objects.filter(matter__code="YB-NEWBORN").count() == 1


def test_commands_import_export_and_list_errors(demo_catalog, tmp_path, capsys):
    out = tmp_path / "catalog.json"
    call_command("catalog_export", "--format", "json", "--output", str(out))
    assert json.loads(out.read_text(encoding="utf-8"))["format"] == "tongban-catalog/1"
    call_command("catalog_import", str(out), "--dry-run")
    assert "[dry run, nothing written]" in capsys.readouterr().out

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "matters:\n  - {code: X1, name: 坏, type: benefit, department: NOPE, guide: {promised_days: 1}}\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="导入文件有 1 处错误"):
        call_command("catalog_import", str(bad))
    assert "matters[0] X1 · department: 引用的“NOPE”不存在" in capsys.readouterr().err

    csv_out = tmp_path / "materials.csv"
    call_command("catalog_export", "--format", "csv", "-o", str(csv_out))
    call_command("catalog_import", str(csv_out))
    assert "new guide versions: 0" in capsys.readouterr().out
