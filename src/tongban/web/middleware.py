"""Language selection: Chinese unless the person chose otherwise.

Django's LocaleMiddleware follows the browser's Accept-Language, which in a
service hall means a kiosk or TV set up in English would greet residents in
English. tongban is zh-Hans first: the language is the one chosen with the
language button (cookie), else ``settings.LANGUAGE_CODE``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class ChosenLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
        finally:
            # Don't leak this request's language into whatever the thread runs next.
            translation.deactivate()
        response.headers.setdefault("Content-Language", language)
        return response
