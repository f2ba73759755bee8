"""Root URLconf for the benchmark: the project's URLs plus ``POST /bench/floor``.

The floor is what the applications issue defines: a bare DRF endpoint doing one INSERT,
served by the same server and settings, measured in the same run.
"""

from django.db import connection
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from tongban.conf.urls import urlpatterns as project_urls


class FloorView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):  # type: ignore[no-untyped-def]
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_floor (at) VALUES (now())")
        return Response({"ok": True}, status=201)


urlpatterns = [path("bench/floor", FloorView.as_view()), *project_urls]
