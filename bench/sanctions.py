"""``python -m bench.sanctions``: what sanctions screening costs against a list of 20k entries.

Generates a made-up list in OFAC's CSV format (``--entries`` entries, 0-3
aliases each; seeded, never a real list), then times parsing, indexing, and
``--screenings`` screenings of generated names (pure matching: no database)
at the default threshold. Prints JSON. Shared machines are noisy: read the
order of magnitude.
"""

from __future__ import annotations

import argparse
import json
import random
import string
import time

from domain.sanctions.list_files import parse_list
from domain.sanctions.matching import THRESHOLD_DEFAULT, SanctionsIndex


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(3, 9)))


def generate(entries: int, seed: int) -> tuple[bytes, bytes]:
    rng = random.Random(seed)
    sdn: list[str] = []
    alt: list[str] = []
    alt_num = 1
    empty = "-0- "
    for ent_num in range(1, entries + 1):
        if rng.random() < 0.6:
            name, kind = f"{_word(rng)}, {_word(rng)} {_word(rng)}", '"individual"'
        else:
            name, kind = f"{_word(rng)} {_word(rng)} TRADING CO., LTD.", empty
        sdn.append(",".join([str(ent_num), f'"{name}"', kind, '"SDGT"', *[empty] * 7, '"-"']))
        for _alias in range(rng.randint(0, 3)):
            alt.append(f'{ent_num},{alt_num},"aka","{_word(rng)} {_word(rng)}",{empty}')
            alt_num += 1
    return ("\r\n".join(sdn) + "\r\n").encode(), ("\r\n".join(alt) + "\r\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--screenings", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sdn, alt = generate(args.entries, args.seed)
    started = time.perf_counter()
    parsed = parse_list(sdn, alt)
    parsed_s = time.perf_counter() - started
    started = time.perf_counter()
    index = SanctionsIndex(parsed.version, parsed.entries)
    indexed_s = time.perf_counter() - started
    rng = random.Random(args.seed + 1)
    listed = [entry.name for entry in parsed.entries]
    names = [
        # One in ten is a listed name with one letter changed: a fuzzy review.
        (lambda name: name[:-1] + "X")(rng.choice(listed))
        if i % 10 == 0
        else f"{_word(rng)} {_word(rng)}"
        for i in range(args.screenings)
    ]
    started = time.perf_counter()
    results = [index.assess(name, THRESHOLD_DEFAULT).result for name in names]
    screened_s = time.perf_counter() - started
    print(
        json.dumps(
            {
                "entries": parsed.entry_count,
                "aliases": parsed.alias_count,
                "distinct_names": len(index.keys),
                "parse_s": round(parsed_s, 3),
                "index_s": round(indexed_s, 3),
                "screenings": args.screenings,
                "screening_s": round(screened_s, 3),
                "screening_ms_mean": round(screened_s / args.screenings * 1000, 3),
                "results": {result: results.count(result) for result in ("clear", "review", "hit")},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
