import base64
import json


def gid(type_name: str, pk) -> str:
    """The relay global id of a row, as the API hands it out."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


OPERATION_INFO = "... on OperationInfo { messages { kind field message code } }"


def messages_of(payload: dict) -> list[dict]:
    assert payload["__typename"] == "OperationInfo", payload
    return payload["messages"]


def validation(field: str | None, message: str, code: str | None) -> dict:
    return {"kind": "VALIDATION", "field": field, "message": message, "code": code}


def graphql_post(http, query: str, variables: dict | None = None, *, csrf: str | None = None, **headers):
    """POST a GraphQL request through Django's test `Client` as a browser's fetch() sends it (JSON),
    with the CSRF token in its header when given; the raw response."""
    if csrf is not None:
        headers["X-CSRFToken"] = csrf
    return http.post(
        "/graphql/",
        json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        headers=headers,
    )
