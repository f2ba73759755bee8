"""The project's URLs plus ``POST /bench/floor``: a bare DRF endpoint doing one INSERT (the floor).

Same server, same middleware, same authentication (Bearer token) and permission
(IsAuthenticated) as the real endpoints — only the work differs.
"""

from django.db import connection
from django.urls import include, path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView


class Floor(APIView):
    def post(self, request):  # type: ignore[no-untyped-def]
        with connection.cursor() as cur:
            cur.execute("INSERT INTO bench_floor (at, note) VALUES (%s, %s)", [timezone.now(), "floor"])
        return Response({"ok": True}, status=201)


urlpatterns = [path("bench/floor", Floor.as_view()), path("", include("tongban.conf.urls"))]
