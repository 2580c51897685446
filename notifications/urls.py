from django.urls import path

from . import api

urlpatterns = [path("events", api.EventFeedApi.as_view(), name="event-feed")]
