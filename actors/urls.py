from django.urls import path

from . import views

urlpatterns = [
    path("acteurs/", views.ActorListView.as_view(), name="actor_list"),
    path("acteurs/<slug:slug>/", views.ActorDetailView.as_view(), name="actor_detail"),
]
