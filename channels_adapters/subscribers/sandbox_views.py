"""Fake ERP / WMS / CRM endpoints (sandbox only): ``POST /sandbox/receivers/<name>/``."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.errors import NotFound

from .services.sandbox import sandbox_receive, sandbox_received_list


@csrf_exempt
@require_http_methods(["GET", "POST"])
def receiver_view(request, name: str):
    if request.method == "GET":
        return JsonResponse({"receiver": name, "received": sandbox_received_list(name=name)})
    try:
        answer = sandbox_receive(name=name, headers=request.headers, body=request.body)
    except NotFound as exc:
        return JsonResponse({"code": exc.code, "message": exc.message}, status=404)
    return JsonResponse(answer.body, status=answer.status)
