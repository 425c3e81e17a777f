"""The JSON API described as OpenAPI 3.0: served at /api/openapi.json, fuzzed in the tests."""

from django.http import JsonResponse

ERROR = {"$ref": "#/components/schemas/Error"}
INVALID = {"$ref": "#/components/schemas/Invalid"}


def _responses(ok_status: str, ok_schema: dict, *extra: str) -> dict:
    out = {ok_status: {"description": "OK", "content": {"application/json": {"schema": ok_schema}}},
           "400": {"description": "Invalid input, naming each field and rule",
                   "content": {"application/json": {"schema": INVALID}}},
           "401": {"description": "No valid token", "content": {"application/json": {"schema": ERROR}}},
           "403": {"description": "The role does not allow it",
                   "content": {"application/json": {"schema": ERROR}}}}
    for status in extra:
        out[status] = {"description": status, "content": {"application/json": {"schema": ERROR}}}
    return out


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


PK = [{"name": "pk", "in": "path", "required": True, "schema": {"type": "integer"}}]
PUSH = {"type": "object", "properties": {
    "MsgBody": {"type": "array", "items": {"type": "object"}},
    "Condition": {"type": "object"}, "OfflinePushInfo": {"type": "object"},
    "MsgLifeTime": {"type": "integer"}, "From_Account": {"type": "string"}}}
CAMPAIGN = {"type": "object", "required": ["id", "name", "status", "push"], "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "status": {"type": "string"},
    "status_reason": {"type": "string"}, "send_at": {"type": "string", "nullable": True},
    "sent_at": {"type": "string", "nullable": True}, "task_id": {"type": "string"},
    "push": PUSH, "attempts": {"type": "array", "items": {"type": "object"}}}}
JOB = {"type": "object", "required": ["id", "status", "total", "done", "failed"], "properties": {
    "id": {"type": "integer"}, "status": {"type": "string"}, "total": {"type": "integer"},
    "done": {"type": "integer"}, "failed": {"type": "integer"}}}

SCHEMA = {
    "openapi": "3.0.3",
    "info": {"title": "Push campaigns API", "version": "1"},
    "components": {
        "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "Authorization"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"],
                      "properties": {"error": {"type": "string"}}},
            "Invalid": {"type": "object", "required": ["error"], "properties": {
                "error": {"type": "string"},
                "errors": {"type": "object", "additionalProperties": {
                    "type": "array", "items": {"type": "string"}}}}},
        },
    },
    "security": [{"token": []}],
    "paths": {
        "/api/token/": {"post": {
            "security": [], "requestBody": _body({"type": "object", "properties": {
                "username": {"type": "string"}, "password": {"type": "string"}}}),
            "responses": _responses("201", {"type": "object"})}},
        "/api/campaigns/": {
            "get": {"parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string"}},
                {"name": "page", "in": "query", "schema": {"type": "string"}}],
                "responses": _responses("200", {"type": "object"})},
            "post": {"requestBody": _body({"type": "object", "properties": {
                "name": {"type": "string"}, "send_at": {"type": "string", "nullable": True},
                "push": PUSH, "allow_late": {"type": "boolean"}}}),
                "responses": _responses("201", CAMPAIGN)}},
        "/api/campaigns/{pk}/": {
            "get": {"parameters": PK, "responses": _responses("200", CAMPAIGN, "404")},
            "patch": {"parameters": PK, "requestBody": _body({"type": "object", "properties": {
                "name": {"type": "string"}, "send_at": {"type": "string"}, "push": PUSH}}),
                "responses": _responses("200", CAMPAIGN, "404", "409")}},
        "/api/campaigns/{pk}/cancel/": {"post": {
            "parameters": PK, "responses": _responses("200", CAMPAIGN, "404", "409")}},
        "/api/campaigns/{pk}/schedule/": {"post": {
            "parameters": PK, "requestBody": _body({"type": "object", "properties": {
                "send_at": {"type": "string"}}}),
            "responses": _responses("200", CAMPAIGN, "404", "409")}},
        "/api/quota/": {"get": {
            "parameters": [{"name": "day", "in": "query", "schema": {"type": "string"}}],
            "responses": _responses("200", {"type": "object", "required": [
                "day", "limit", "used", "booked", "remaining", "resets_at"]})}},
        "/api/attribute-names/": {
            "get": {"responses": _responses("200", {"type": "object"})},
            "put": {"requestBody": _body({"type": "object"}),
                    "responses": _responses("200", {"type": "object"}, "409", "502")}},
        "/api/audience/jobs/": {"post": {
            "requestBody": _body({"type": "object", "properties": {
                "action": {"type": "string", "enum": ["add_tags", "remove_tags",
                                                      "remove_all_tags", "set_attrs",
                                                      "remove_attrs"]},
                "accounts": {"type": "array", "items": {"type": "string"}},
                "tags": {"type": "array", "items": {"type": "string"}},
                "attrs": {}}}),
            "responses": _responses("202", JOB)}},
        "/api/audience/jobs/{pk}/": {"get": {
            "parameters": PK, "responses": _responses("200", JOB, "404")}},
        "/api/audience/reach/": {"post": {
            "requestBody": _body({"type": "object", "properties": {"Condition": {}}}),
            "responses": _responses("200", {"type": "object", "required": ["known", "matching"]})}},
    },
}


def openapi(request):
    return JsonResponse(SCHEMA)
