#!/usr/bin/python3
"""Parses Prometheus text (stdin) with prometheus_client's own parser (Debian
python3-prometheus-client) and prints the families as JSON: {"name": {"type", "samples":
[{"name", "labels", "value"}]}}. Exits 1 with the parser's message when the text does not parse."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    try:
        families = {}
        for family in text_string_to_metric_families(text):
            if family.name in families:
                raise ValueError(f"family {family.name} appears twice")
            families[family.name] = {
                "type": family.type,
                "samples": [
                    {"name": s.name, "labels": s.labels,
                     "value": None if math.isinf(s.value) else s.value}
                    for s in family.samples
                ],
            }
    except Exception as e:  # the parser raises ValueError and friends
        print(f"not valid Prometheus text: {e}", file=sys.stderr)
        return 1
    json.dump(families, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
