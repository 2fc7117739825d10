"""What the two scenario generators share (tests/oracle/generate.py for mapWithState,
tests/oracle/ops/generate.py for the ops oracle): a batch's records as `key=value` words and the
command line `generate.py SEED [OUT]` (python3 standard library only)."""

import sys


def pairs(records):
    """The records `[(key, value), ...]` as the words `key=value`, space-separated."""
    return " ".join(f"{k}={v}" for k, v in records)


def main(scenario):
    """`generate.py SEED` prints `scenario(SEED)`; `generate.py SEED OUT` writes it to OUT."""
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: generate.py SEED [OUT]")
    text = scenario(int(sys.argv[1]))
    if len(sys.argv) == 3:
        with open(sys.argv[2], "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
