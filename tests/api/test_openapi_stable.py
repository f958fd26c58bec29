"""The /v1 contract does not move: every operation of the recorded OpenAPI
document (``data/openapi-v1.json``) is still served with the same parameters,
request body and responses.

Schemas are compared by content: each ``$ref`` is replaced by the schema it
names, without that schema's ``title`` (the class name), so a model class may
be renamed or moved as long as what it accepts or returns is the same. New
operations may be added; none may disappear or change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adapters.settings import Settings
from api.app import create_app

SNAPSHOT = Path(__file__).parent / "data" / "openapi-v1.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
REF_PREFIX = "#/components/schemas/"

Document = dict[str, Any]


def served_document() -> Document:
    app = create_app(Settings(database_url="sqlite:///openapi-only.db"))
    return app.openapi()


def resolved(document: Document, node: Any, seen: tuple[str, ...] = ()) -> Any:
    """``node`` with every schema reference replaced by its (untitled) content."""
    if isinstance(node, list):
        return [resolved(document, item, seen) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str) and reference.startswith(REF_PREFIX):
        name = reference[len(REF_PREFIX) :]
        if name in seen:  # a recursive schema: compare the recursion by its place
            return {"$recursive": seen.index(name)}
        target = dict(document["components"]["schemas"][name])
        target.pop("title", None)
        return resolved(document, target, (*seen, name))
    return {key: resolved(document, value, seen) for key, value in node.items()}


def operations(document: Document) -> dict[str, Document]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def parameters(document: Document, operation: Document) -> dict[tuple[str, str], Any]:
    return {
        (parameter["name"], parameter["in"]): {
            "required": bool(parameter.get("required", False)),
            "schema": resolved(document, parameter.get("schema")),
        }
        for parameter in operation.get("parameters", [])
    }


def request_body(document: Document, operation: Document) -> Any:
    body = operation.get("requestBody")
    if body is None:
        return None
    return {
        "required": bool(body.get("required", False)),
        "content": {
            media_type: resolved(document, content.get("schema"))
            for media_type, content in body.get("content", {}).items()
        },
    }


def responses(document: Document, operation: Document) -> dict[str, Any]:
    return {
        status: {
            media_type: resolved(document, content.get("schema"))
            for media_type, content in response.get("content", {}).items()
        }
        for status, response in operation["responses"].items()
    }


def compatible(before: Any, after: Any) -> bool:
    """``after`` keeps the contract of ``before``: the same structure and values,
    except that an enum may have grown (a new role is a new accepted value; no
    recorded value may go) and descriptions are prose, not contract."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = (set(before) | set(after)) - {"description"}
        for key in keys:
            if key == "enum" and key in before and key in after:
                if not set(before[key]) <= set(after[key]):
                    return False
            elif key not in before or key not in after or not compatible(before[key], after[key]):
                return False
        return True
    if isinstance(before, list) and isinstance(after, list):
        return len(before) == len(after) and all(map(compatible, before, after))
    return bool(before == after)


def test_a_widened_enum_is_compatible_and_a_narrowed_one_is_not() -> None:
    assert compatible({"enum": ["a", "b"]}, {"enum": ["a", "b", "c"]})
    assert not compatible({"enum": ["a", "b"]}, {"enum": ["a"]})
    assert compatible({"type": "string", "description": "x"}, {"type": "string", "description": "y"})
    assert not compatible({"type": "string"}, {"type": "integer"})


@pytest.fixture(scope="module")
def documents() -> tuple[Document, Document]:
    return json.loads(SNAPSHOT.read_text()), served_document()


def test_the_recorded_document_is_the_v1_contract(documents: tuple[Document, Document]) -> None:
    recorded, _served = documents
    assert recorded["info"]["version"].startswith("1.")
    assert len(operations(recorded)) >= 70


def test_every_recorded_operation_is_still_served(documents: tuple[Document, Document]) -> None:
    recorded, served = documents
    missing = sorted(set(operations(recorded)) - set(operations(served)))
    assert missing == []


@pytest.mark.parametrize("part", ["parameters", "request body", "responses"])
def test_every_recorded_operation_keeps_its_parameters_body_and_responses(
    documents: tuple[Document, Document], part: str
) -> None:
    recorded, served = documents
    compare = {"parameters": parameters, "request body": request_body, "responses": responses}[part]
    served_operations = operations(served)
    changed = []
    for name, operation in sorted(operations(recorded).items()):
        if name not in served_operations:
            continue  # reported by the test above
        before = compare(recorded, operation)
        after = compare(served, served_operations[name])
        if not compatible(before, after):
            changed.append((name, before, after))
    assert changed == [], "\n".join(
        f"{name}:\n  before {before}\n  after  {after}" for name, before, after in changed[:5]
    )


def test_the_comparison_sees_a_changed_schema(documents: tuple[Document, Document]) -> None:
    """The check itself: a field's bound changed inside a referenced schema is a difference."""
    recorded, _served = documents
    altered = json.loads(json.dumps(recorded))
    altered["components"]["schemas"]["AssetIn"]["properties"]["scale"]["maximum"] += 1
    operation = operations(recorded)["POST /v1/assets"]
    assert request_body(recorded, operation) != request_body(altered, operation)
    renamed = json.loads(json.dumps(recorded))
    renamed["components"]["schemas"]["AssetInRenamed"] = {
        **renamed["components"]["schemas"].pop("AssetIn"),
        "title": "AssetInRenamed",
    }
    renamed_operation = operations(renamed)["POST /v1/assets"]
    renamed_operation["requestBody"]["content"]["application/json"]["schema"] = {
        "$ref": REF_PREFIX + "AssetInRenamed"
    }
    assert request_body(renamed, renamed_operation) == request_body(recorded, operation)
