from django.urls import path

from . import sandbox_views

urlpatterns = [
    path("<slug:name>/", sandbox_views.receiver_view, name="sandbox-receiver"),
]
