"""Validates JSON documents against one definition of a JSON Schema file with the
`jsonschema` library (Draft 7). Reads {"schema": PATH, "definition": NAME, "instance": DOC}
on stdin; exits 0 when the document is valid, 1 with the errors on stderr otherwise."""
import json
import sys

import jsonschema

request = json.load(sys.stdin)
with open(request["schema"], encoding="utf-8") as f:
    schema = json.load(f)
target = dict(schema)
target["$ref"] = "#/definitions/" + request["definition"]
if request["definition"] not in schema["definitions"]:
    print("no definition " + request["definition"], file=sys.stderr)
    sys.exit(1)
validator = jsonschema.Draft7Validator(target, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
errors = sorted(validator.iter_errors(request["instance"]), key=lambda e: list(e.path))
for e in errors:
    print("/".join(str(p) for p in e.path) + ": " + e.message, file=sys.stderr)
sys.exit(1 if errors else 0)
