"""The web app's pages: Django serves the layout, the labels and the translations; each page's
module loads and writes its data through /graphql/, where every permission is decided."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


def _page(template: str):
    @login_required
    def view(request, **kwargs):
        return render(request, template, kwargs)

    view.__name__ = template.rsplit("/", 1)[-1].removesuffix(".html")
    return view


dashboard = _page("app/dashboard.html")
account = _page("app/account.html")
clients = _page("app/clients.html")
messages = _page("app/messages.html")
mailings = _page("app/mailings.html")
mailing = _page("app/mailing.html")
manage = _page("app/manage.html")
senders = _page("app/senders.html")
