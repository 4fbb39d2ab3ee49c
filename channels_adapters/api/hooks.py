"""Platform push endpoints.  Unauthenticated by design: the signature is the credential."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels_adapters.services.archive import headers_from_meta
from channels_adapters.services.push import douyin_push_receive
from core.errors import DomainError

ACK = {"code": 0, "msg": "success"}


@csrf_exempt
@require_POST
def douyin_push(request: HttpRequest, shop_code: str) -> JsonResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.LIUZHUAN_MAX_BODY_BYTES:
        return JsonResponse({"code": "body_too_large", "message": "the push body is too large"},
                            status=413)
    try:
        douyin_push_receive(shop_code=shop_code, body=request.body,
                            headers=headers_from_meta(request.META))
    except DomainError as exc:
        body = {"code": exc.code, "message": exc.message}
        if exc.details:
            body["details"] = exc.details
        return JsonResponse(body, status=exc.status, json_dumps_params={"ensure_ascii": False})
    return JsonResponse(ACK)
