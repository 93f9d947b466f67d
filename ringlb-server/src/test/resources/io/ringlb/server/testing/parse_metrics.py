# Parses a metrics exposition on stdin with the Prometheus Python client's own parser and prints
# one JSON object per sample: {"family", "type", "name", "labels", "value"}.
#   python3 parse_metrics.py prometheus|openmetrics < metrics.txt
import json
import math
import sys

if sys.argv[1] == "openmetrics":
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
else:
    from prometheus_client.parser import text_string_to_metric_families

for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        value = sample.value
        if isinstance(value, float) and math.isinf(value):
            value = "+Inf" if value > 0 else "-Inf"
        print(json.dumps({"family": family.name, "type": family.type, "name": sample.name,
                          "labels": sample.labels, "value": value}))
