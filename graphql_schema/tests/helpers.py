import base64


def gid(type_name: str, pk) -> str:
    """The relay global id of a row, as the API hands it out."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


OPERATION_INFO = "... on OperationInfo { messages { kind field message code } }"


def messages_of(payload: dict) -> list[dict]:
    assert payload["__typename"] == "OperationInfo", payload
    return payload["messages"]


def validation(field: str | None, message: str, code: str | None) -> dict:
    return {"kind": "VALIDATION", "field": field, "message": message, "code": code}
