"""Generate a large catalog file for the import/search benchmark.

    .venv/bin/python bench/catalog/gen_catalog.py 5000 > /tmp/catalog-5000.yaml

Departments, groups, material types, centers and synonyms come from the demo
catalog; matters are the demo's 45 repeated with new codes and shuffled
materials (seeded: the same N always gives the same file).
"""

from __future__ import annotations

import copy
import random
import sys
from pathlib import Path

import yaml

DEMO = Path(__file__).resolve().parents[2] / "src/tongban/catalog/fixtures/demo_catalog.yaml"


def generate(n: int, seed: int = 2026) -> dict:
    rng = random.Random(seed)
    demo = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    types = [t["code"] for t in demo["material_types"]]
    matters = []
    for i in range(n):
        base = copy.deepcopy(demo["matters"][i % len(demo["matters"])])
        base["code"] = f"{base['code']}-{i:05d}"
        base["name"] = f"{base['name']}（第{i}号）"
        picked = rng.sample(types, k=rng.randint(1, 6))
        base["guide"]["materials"] = [
            {
                "material_type": code,
                "form": rng.choice(["original", "copy", "both"]),
                "rongque": rng.random() < 0.1,
            }
            for code in picked
        ]
        matters.append(base)
    bundles = [
        {
            "code": f"BD-GEN-{j:04d}",
            "name": f"组合一件事{j}",
            "matters": [m["code"] for m in rng.sample(matters, 3)],
        }
        for j in range(max(1, n // 100))
    ]
    return {
        "format": demo["format"],
        "departments": demo["departments"],
        "matter_groups": demo["matter_groups"],
        "material_types": demo["material_types"],
        "matters": matters,
        "bundles": bundles,
        "synonyms": demo["synonyms"],
    }


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    sys.stdout.write(yaml.safe_dump(generate(count), allow_unicode=True, sort_keys=False))
