"""``timetable train-resolver``: learn stage 3's move selector (Q-learning) on generated instances and
measure it against plain min-conflicts on clashes planted the same way."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from timetabling.engine.generator import generate_university
from timetabling.engine.pipeline.clustering import cluster
from timetabling.engine.pipeline.qlearn import compare, train
from timetabling.engine.pipeline.stage2 import decompose
from timetabling.engine.timetable.board import Board, board_from, layout


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train-resolver", help="train stage 3's Q-learning move selector; compare with min-conflicts")
    p.add_argument("--profiles", nargs="+", default=["tiny", "small"], choices=["tiny", "small", "medium"])
    p.add_argument("--seeds", type=int, default=2, metavar="N", help="instances per profile (default %(default)s)")
    p.add_argument("--episodes", type=int, default=300, metavar="N")
    p.add_argument("--plant", type=int, default=6, metavar="K", help="clashes planted per episode")
    p.add_argument("--trials", type=int, default=40, metavar="N", help="comparison trials on other seeds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", type=Path, default=Path("resolver_q.json"), metavar="FILE")
    p.set_defaults(func=run)


def clash_free_boards(profiles: list[str], seeds: range) -> list[Board]:
    boards = []
    for profile in profiles:
        for seed in seeds:
            inst = generate_university(profile, seed=seed)
            placed = decompose(inst, cluster(inst, seed=seed), budget=30, processes=1, seed=seed).placed
            boards.append(board_from(layout(inst), placed))
    return boards


def run(args: argparse.Namespace) -> int:
    train_boards = clash_free_boards(args.profiles, range(args.seed, args.seed + args.seeds))
    table = train(train_boards, args.episodes, seed=args.seed, plant=args.plant)
    table.save(args.output)
    print(f"trained {table.episodes} episodes, {len(table.q)} states; wrote {args.output}")
    test_boards = clash_free_boards(args.profiles, range(args.seed + 100, args.seed + 100 + args.seeds))
    result = compare(test_boards, table, args.trials, plant=args.plant, seed=args.seed + 1)
    print(json.dumps(result))
    print(f"{'selector':<15}{'solved':>8}{'moves':>8}{'ms':>9}")
    for name, row in result.items():
        print(f"{name:<15}{row['solved']:>8}{row['moves']:>8}{row['ms']:>9}")
    return 0
