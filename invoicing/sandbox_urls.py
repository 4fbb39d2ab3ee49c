from django.urls import path

from invoicing.sandbox import views

app_name = "tax_sandbox"

urlpatterns = [
    path("invoices/", views.submit, name="submit"),
    path("invoices/<str:request_id>/", views.query, name="query"),
    path("red/", views.red, name="red"),
    path("files/<str:number>.<str:ext>", views.document, name="document"),
]
