"""Catalog factories shared by every app's tests."""

from __future__ import annotations

import factory
from django.utils import timezone

from tongban.catalog.models import (
    Bundle,
    BundleItem,
    Center,
    Department,
    GuideVersion,
    Material,
    MaterialType,
    Matter,
    MatterGroup,
    Window,
)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"DEPT{n:03d}")
    name = factory.Sequence(lambda n: f"杨浦区第{n}部门")
    review_days = 3


class CenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Center
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"测试街道社区事务受理服务中心{n}")
    district = "杨浦区"
    address = "上海市杨浦区测试路1号"
    open_24h = True


class MatterGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MatterGroup
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"G{n:02d}")
    name = factory.Sequence(lambda n: f"事项分组{n}")


class WindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Window

    center = factory.SubFactory(CenterFactory)
    number = factory.Sequence(lambda n: n + 1)
    kind = Window.Kind.COMPREHENSIVE


class MaterialTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MaterialType
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"MT{n:03d}")
    name = factory.Sequence(lambda n: f"材料{n}")


class MatterFactory(factory.django.DjangoModelFactory):
    """A matter with a published guide (v1) holding ``materials`` required materials."""

    class Meta:
        model = Matter
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"M{n:04d}")
    name = factory.Sequence(lambda n: f"测试事项{n}")
    type = Matter.Type.PUBLIC_SERVICE
    department = factory.SubFactory(DepartmentFactory)
    group = factory.SubFactory(MatterGroupFactory)

    @factory.post_generation
    def guide(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if not create or self.current_version_id:
            return
        promised = kwargs.pop("promised_days", 5)
        materials = kwargs.pop("materials", 2)
        version = GuideVersion.objects.create(
            matter=self,
            version=1,
            published_at=timezone.now(),
            promised_days=promised,
            statutory_days=kwargs.pop("statutory_days", 20),
            online=kwargs.pop("online", True),
            delivery_options=["window", "cabinet", "post"],
            **kwargs,
        )
        for i in range(materials):
            mt = MaterialTypeFactory()
            Material.objects.create(guide=version, material_type=mt, name=mt.name, order=i)
        self.current_version = version
        self.save(update_fields=["current_version"])


class BundleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bundle
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"B{n:03d}")
    name = factory.Sequence(lambda n: f"一件事{n}")

    @factory.post_generation
    def matters(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if not create:
            return
        for i, matter in enumerate(extracted or []):
            BundleItem.objects.create(bundle=self, matter=matter, order=i)
