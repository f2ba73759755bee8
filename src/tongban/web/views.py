from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tongban.web.frontends import FRONTENDS


def landing(request: HttpRequest) -> HttpResponse:
    doors = [{"f": f, "url": f.url} for f in FRONTENDS]
    return render(request, "web/landing.html", {"doors": doors})
