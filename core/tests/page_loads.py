"""What each page of the web app asks the API for as it loads: the named GraphQL operations, in
order, with their variables, and the exact documents, read from the page modules themselves.

`core/tests/test_page_requests.py` checks in a real browser that a page sends exactly these (at
most 3 requests), and `bench/page_speed.py` sends the same documents to time them.
"""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

APP = Path(__file__).resolve().parents[1] / "static" / "app"
MAX_REQUESTS = 3
LOG_PAGE = 50  # core/static/app/mailing.js
CLIENTS_PAGE_SIZE = 25  # core/static/app/clients.js
SENDERS_PAGE_SIZE = 25  # core/static/app/senders.js

_CONST = re.compile(r"""(?:export\s+)?const\s+([A-Z][A-Z0-9_]*)\s*=\s*(`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*")""", re.S)
_IMPORT = re.compile(r"""import\s*\{([^}]*)\}\s*from\s*"\./([\w-]+\.js)";""")
_PLACE = re.compile(r"\$\{([^}]*)\}")
_OPERATION = re.compile(r"^\s*(?:query|mutation)\s+(\w+)")


def _constants(module: str, seen: frozenset = frozenset()) -> dict[str, str]:
    """The module's string constants (and those it imports from its neighbours), unresolved."""
    source = (APP / module).read_text()
    found: dict[str, str] = {}
    for names, neighbour in _IMPORT.findall(source):
        if neighbour in seen:
            continue
        theirs = _constants(neighbour, seen | {module})
        for name in (n.strip() for n in names.split(",")):
            if name in theirs:
                found[name] = theirs[name]
    for name, literal in _CONST.findall(source):
        found[name] = json.loads(literal) if literal.startswith('"') else literal[1:-1]
    return found


def _resolve(value: str, constants: dict[str, str], depth: int = 0) -> str:
    if depth > 10:
        raise ValueError("constants refer to each other in a circle")

    def place(match: re.Match) -> str:
        name = match.group(1).strip()
        if name not in constants:
            raise ValueError(f"${{{name}}} is not a string constant of the module")
        return _resolve(constants[name], constants, depth + 1)

    return _PLACE.sub(place, value)


def page_documents(module: str) -> dict[str, str]:
    """The named GraphQL documents of a page module, by operation name, exactly as it sends them."""
    constants = _constants(module)
    documents = {}
    for value in constants.values():
        text = _resolve(value, constants)
        match = _OPERATION.match(text)
        if match:
            documents[match.group(1)] = text
    return documents


@dataclass(frozen=True)
class Request:
    operation: str
    variables: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PageLoad:
    name: str
    path: str  # {mailing}: a mailing's relay id
    module: str
    requests: tuple[Request, ...]
    manager: bool = False

    def url(self, mailing_id: str = "") -> str:
        return self.path.format(mailing=mailing_id)

    def sent(self, mailing_id: str = "") -> list[tuple[str, dict]]:
        """(operation, variables) of each request, as the page sends them."""
        return [(r.operation, _fill(r.variables, mailing_id)) for r in self.requests]

    def documents(self) -> dict[str, str]:
        documents = page_documents(self.module)
        return {r.operation: documents[r.operation] for r in self.requests}


def _fill(value, mailing_id: str):
    if isinstance(value, dict):
        return {key: _fill(item, mailing_id) for key, item in value.items()}
    return mailing_id if value == "{mailing}" else value


PAGES = (
    PageLoad("dashboard", "/app/", "dashboard.js", (Request("DashboardPage"),)),
    PageLoad(
        "clients",
        "/app/clients/",
        "clients.js",
        (Request("ClientsPage", {"first": CLIENTS_PAGE_SIZE, "filters": None}),),
    ),
    PageLoad("messages", "/app/messages/", "messages.js", (Request("MessagesPage"),)),
    PageLoad("mailings", "/app/mailings/", "mailings.js", (Request("MailingsPage"),)),
    PageLoad(
        "mailing page",
        "/app/mailings/{mailing}/",
        "mailing.js",
        (
            Request("MailingPage", {"id": "{mailing}"}),
            Request("MailingLog", {"filters": {"mailing": "{mailing}"}, "first": LOG_PAGE, "after": None}),
        ),
    ),
    PageLoad("senders", "/app/senders/", "senders.js", (Request("SendersPage", {"first": SENDERS_PAGE_SIZE}),)),
    PageLoad("manage", "/app/manage/", "manage.js", (Request("ManagePage", {"filters": {}}),), manager=True),
    PageLoad("account", "/app/account/", "account.js", (Request("AccountPage"),)),
)
