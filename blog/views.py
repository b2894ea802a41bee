from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from blog import selectors, services

POSTS_PER_PAGE = 12


def post_list(request):
    paginator = Paginator(selectors.post_list(viewer=request.user), POSTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "blog/post_list.html", {"page": page, "graphiql": settings.GRAPHIQL})


def post_detail(request, pk: int):
    post = services.post_read(viewer=request.user, pk=pk)
    if post is None:
        raise Http404("No such post.")
    return render(request, "blog/post_detail.html", {"post": post, "graphiql": settings.GRAPHIQL})
