"""Validates the service's OpenAPI document as OpenAPI 3.1 (openapi-spec-validator) and every
recorded answer against the schema its operation documents for its status (JSON Schema
2020-12, as OpenAPI 3.1 uses it). Reads {"document": DOC, "answers": [{"where": TEXT,
"pointer": JSON_POINTER_TO_ITS_SCHEMA_IN_DOC, "instance": BODY}]} on stdin; prints each failure on stderr and exits 1
when there is one."""
import json
import sys

import jsonschema
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

request = json.load(sys.stdin)
document = request["document"]
failures = []
try:
    validate(document)
except Exception as e:  # the validator's own error types vary between versions
    failures.append("the document is not valid OpenAPI 3.1: " + str(e).split("\n")[0])

# Every schema is validated where it stands in the document, so its `#/components/...`
# references resolve there.
registry = Registry().with_resource("urn:doc", Resource(contents=document, specification=DRAFT202012))
for answer in request["answers"]:
    schema = {"$ref": "urn:doc#" + answer["pointer"]}
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    for e in sorted(validator.iter_errors(answer["instance"]), key=lambda e: list(e.path))[:3]:
        failures.append(
            answer["where"] + ": /" + "/".join(str(p) for p in e.path) + ": " + e.message[:300]
        )
for f in failures[:40]:
    print(f, file=sys.stderr)
if len(failures) > 40:
    print(f"... and {len(failures) - 40} more", file=sys.stderr)
sys.exit(1 if failures else 0)
