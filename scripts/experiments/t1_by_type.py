#!/usr/bin/python3
"""Testbed T1: mean PDMS per scene type (stop, turn, cruise) of methods' per-window scores.

The types come from stores that `autoscale synth select --type T` cut from the scored worlds
(bench-t1.sh writes OUT/types/<split>/<type>). Seeds are averaged per window first.
  t1_by_type.py OUT SPLIT RUN:METHOD[:LABEL] ...     SPLIT = val | test
"""
import csv
import glob
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from autoscale_store import StoreReader  # noqa: E402

TYPES = ('stop', 'turn', 'cruise')


def window_scores(run, method, split):
    per = {}
    for path in sorted(glob.glob(f'{run}/jobs/{method}_n*_s*/final/{split}_scores.csv')):
        for row in csv.DictReader(open(path)):
            if row['score'] not in ('', 'nan'):
                per.setdefault(row['token'], []).append(float(row['score']))
    return {token: statistics.mean(v) for token, v in per.items()}


def main():
    if len(sys.argv) < 4 or sys.argv[2] not in ('val', 'test'):
        sys.exit(__doc__)
    out, split = sys.argv[1], sys.argv[2]
    types = {t: set(StoreReader(f'{out}/types/{split}/{t}').tokens) for t in TYPES}
    print(f'| method | windows | ' + ' | '.join(f'{t} PDMS (windows)' for t in TYPES) + ' | all |')
    print('|---|---|' + '---|' * (len(TYPES) + 1))
    for spec in sys.argv[3:]:
        run, method, *label = spec.split(':')
        scores = window_scores(run, method, split)
        if not scores:
            sys.exit(f'{run}: no {split} scores of {method}')
        cells = []
        for t in TYPES:
            v = [s for token, s in scores.items() if token in types[t]]
            cells.append(f'{statistics.mean(v):.3f} ({len(v)})' if v else '–')
        name = label[0] if label else f'{os.path.basename(run)}/{method}'
        print(f'| {name} | {len(scores)} | ' + ' | '.join(cells) + f' | {statistics.mean(scores.values()):.3f} |')


if __name__ == '__main__':
    main()
