from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.static import serve

from blog.selectors import post_random
from mailing.stats import home_stats

HOME_POSTS = 3


def home(request):
    """The figures (cached) and three random posts: a fixed, small number of queries."""
    context = {
        "stats": home_stats(),
        "posts": post_random(viewer=request.user, count=HOME_POSTS),
        "graphiql": settings.GRAPHIQL,
    }
    return render(request, "home.html", context)


def media(request, path: str):
    """Uploaded files, when this process serves them (SERVE_MEDIA; a web server should, in production)."""
    if not settings.SERVE_MEDIA:
        raise Http404("Media files are not served by the application.")
    return serve(request, path, document_root=settings.MEDIA_ROOT)
