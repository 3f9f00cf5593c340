"""What a full policy document must name, and a merge patch applied to one. Pure.

A PUT replaces the whole document: a field left out would silently take its default (a PUT of `limits` alone once
turned chat back on for every buyer). So a PUT must name every field at every depth, including fields added by a
later release; a change of a few fields is a PATCH.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from chalicelib.models.policy import PolicyDocument, PolicyUpdate
from chalicelib.shared.errors import invalid
from chalicelib.shared.merge_patch import merge_patch


@cache
def required_paths(model: type[BaseModel] = PolicyDocument) -> tuple[str, ...]:
    """Every leaf field of `model` as a dotted path (channels.chat.enabled, ..., limits.contact_reveals_...)."""
    paths: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths += [f"{name}.{path}" for path in required_paths(annotation)]
        else:
            paths.append(name)
    return tuple(paths)


def missing_paths(body: Any) -> list[str]:
    """The dotted paths of the document that `body` (the request's JSON) does not name; [] for a complete one."""
    missing = []
    for path in required_paths():
        node = body
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                missing.append(path)
                break
            node = node[part]
    return missing


def document_of(policy: PolicyDocument) -> dict[str, Any]:
    """The document's fields as JSON values: what a merge patch applies to."""
    return policy.model_dump(mode="json", include=set(PolicyDocument.model_fields))


def patched(policy: PolicyDocument, patch: dict[str, Any]) -> PolicyUpdate:
    """`policy` with the merge patch applied, checked as a full document (400 validation_error when it is not one)."""
    merged = merge_patch(document_of(policy), patch)
    try:
        return PolicyUpdate.model_validate_json(json.dumps(merged), strict=True)
    except ValidationError as exc:
        raise invalid(exc, "The policy after this change is not valid.") from None
