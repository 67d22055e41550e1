from django.views.generic import DetailView, ListView

from .models import Actor


class ActorListView(ListView):
    model = Actor
    paginate_by = 50
    template_name = "actors/actor_list.html"


class ActorDetailView(DetailView):
    model = Actor
    template_name = "actors/actor_detail.html"
