"""Benchmark: a 10,000,000-entity register, one item, rate 5% — the whole `zhunsheng draw run`.

Budget (issue 5): ≤ 30 s wall and ≤ 4 GiB peak memory on the project machine.

    .venv/bin/python bench/bench_draw.py                 # 10M entities (data cached in /tmp)
    .venv/bin/python bench/bench_draw.py --entities 1000000 --keep

What is measured: `draw run` (read and validate the Parquet register, check
input digests against the commitment, compute all tickets, assign inspectors,
write the ledger in one transaction, write draw.json, 公示名单.csv and
rejected.csv) in a fresh child process.  Wall time is taken around that
process; memory is the peak of the main process's RSS plus its hashing
workers' USS (their unique pages: what the forked hashing workers share
copy-on-write with the main process is counted once, in the main RSS; summed
RSS would count it three times), sampled with psutil every 20 ms (USS every
1 s), and the kernel's ru_maxrss of the largest single process.  `prepare` is timed too, separately.

The register is synthetic but realistic in shape: valid GB 32100 codes,
Chinese names, four districts, five industries, credit classes 30/45/18/7%,
95% active.  The item's filter (two string comparisons, evaluated over all
10M rows) keeps every row, so 5% of the ~9.5M active entities are drawn.  The inspector register
has 30 inspectors of whom 24 are qualified for the item (max_load 50,000), so
the run also computes about 12 million inspector tickets.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
PLAN = """\
plan_id: BENCH-10M
department: 基准测试市场监督管理局
year: 2025
draw_date: 2025-03-10
items:
  - item_id: FOOD-01
    name: 餐饮服务食品安全检查
    basis: {law: 中华人民共和国食品安全法, article: 87}
    kind: general
    filter: "industry != '烟草专卖零售' and district != '市外'"
    rates: {A: 0.05, B: 0.05, C: 0.05, D: 0.05}
    inspectors_per_target: 2
    frequency_cap: {max: 1, window_days: 365}
"""


def make_codes(n: int, rng: np.random.Generator) -> np.ndarray:
    """n distinct valid 统一社会信用代码: base-31 bodies from a permuted counter, check character by GB 32100."""
    chars = np.frombuffer(CODE_CHARS.encode(), dtype=np.uint8)
    body = np.empty((n, 17), dtype=np.uint8)
    body[:, :8] = np.frombuffer(b"91440103", dtype=np.uint8)
    x = (np.arange(n, dtype=np.int64) * 2654435761 + int(rng.integers(0, 31 ** 8))) % (31 ** 9)
    vals = np.empty((n, 17), dtype=np.int64)
    vals[:, :8] = [9, 1, 4, 4, 0, 1, 0, 3]
    for j in range(16, 7, -1):
        vals[:, j] = x % 31
        x //= 31
    body[:, 8:] = chars[vals[:, 8:]]
    weights = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
    check = (31 - (vals @ weights) % 31) % 31
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, :17] = body
    out[:, 17] = chars[check]
    return out.view("S18").ravel().astype(str)


def make_data(d: Path, n: int) -> dict:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    d.mkdir(parents=True, exist_ok=True)
    ent = d / f"entities_{n}.parquet"
    rng = np.random.default_rng(20250310)
    if not ent.exists():
        t = time.perf_counter()
        codes = make_codes(n, rng)
        districts = np.array(["东城", "西城", "南湖", "开发区"])[rng.integers(0, 4, n)]
        industries = np.array(["餐饮", "零售", "食品生产", "住宿", "批发"])[
            rng.choice(5, n, p=[0.4, 0.3, 0.1, 0.1, 0.1])]
        classes = np.array(list("ABCD"))[rng.choice(4, n, p=[0.30, 0.45, 0.18, 0.07])]
        status = np.array(["存续", "在业", "注销", "吊销"])[rng.choice(4, n, p=[0.80, 0.15, 0.03, 0.02])]
        types = np.array(["有限责任公司", "个体工商户", "股份有限公司"])[rng.choice(3, n, p=[0.5, 0.45, 0.05])]
        import pyarrow.compute as pc
        names = pc.binary_join_element_wise(pa.array(districts), pa.array(np.char.mod("%d", np.arange(n))),
                                            pa.array(industries), "示例")
        table = pa.table({"entity_id": codes, "name": names, "type": types, "district": districts,
                          "industry": industries, "credit_class": classes, "status": status})
        pq.write_table(table, ent)
        print(f"generated {n:,} entities in {time.perf_counter() - t:.1f} s → {ent} "
              f"({ent.stat().st_size / 2**20:.0f} MiB)")
    ins = d / "inspectors.csv"
    rows = ["inspector_id,name,department,qualifications,active,max_load"]
    for k in range(30):
        q = "FOOD-01;PUB-01" if k < 24 else "ADV-01"
        rows.append(f"ZF-4401-{k:04d},执法人员{k},食品安全监督管理科,{q},是,50000")
    ins.write_text("\n".join(rows) + "\n", encoding="utf-8")
    con = d / "conflicts.csv"
    codes_head = pd.read_parquet(ent, columns=["entity_id"]).entity_id.head(50).tolist()
    con.write_text("inspector_id,entity_id,reason\n" + "".join(
        f"ZF-4401-{k % 24:04d},{c},近亲属\n" for k, c in enumerate(codes_head)), encoding="utf-8")
    plan = d / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    return {"plan": plan, "entities": ent, "inspectors": ins, "conflicts": con}


def measure(cmd: list[str], env: dict, sample_memory: bool = False) -> dict:
    """Run ``cmd``; wall time always, and (only when asked: reading smaps costs CPU) sampled memory."""
    import psutil

    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    ps = psutil.Process(proc.pid)
    peak = [0, 0]   # main RSS + workers' USS; main RSS alone

    def sample():
        uss, last = {}, 0.0
        while proc.poll() is None:
            try:
                rss = ps.memory_info().rss
                now = time.perf_counter()
                kids = ps.children(recursive=True)
                if now - last > 1.0:        # USS reads /proc/PID/smaps: slow, and it steals CPU from the run
                    uss = {}
                    for c in kids:
                        try:
                            uss[c.pid] = c.memory_full_info().uss
                        except psutil.Error:
                            pass
                    last = now
                live = {c.pid for c in kids}
                total = rss + sum(v for pid, v in uss.items() if pid in live)
                peak[0] = max(peak[0], total)
                peak[1] = max(peak[1], rss)
            except psutil.Error:
                pass
            time.sleep(0.02)
    th = threading.Thread(target=sample, daemon=True)
    if sample_memory:
        th.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - t0
    if sample_memory:
        th.join()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    maxrss = r1.ru_maxrss * 1024
    cpu = (r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime)
    return {"wall_s": wall, "peak_tree_pss": peak[0], "peak_main_rss": peak[1], "max_single_rss": maxrss,
            "cpu": cpu, "rc": proc.returncode,
            "output": out}


def check_smallest_stratum(doc: dict, paths: dict) -> None:
    """At-scale cross-check of the fast path: plain hashlib and big integers, straight from the spec."""
    import hashlib

    import pandas as pd

    st = min(doc["strata"], key=lambda s: s["eligible"])
    ent = pd.read_parquet(paths["entities"], columns=["entity_id", "credit_class", "status"])
    ids = ent.loc[(ent.credit_class == st["credit_class"]) & ent.status.isin(["存续", "在业", "active"]),
                  "entity_id"].tolist()
    assert len(ids) == st["eligible"], (len(ids), st["eligible"])
    S = f"{doc['seed']}|E|{st['item_id']}|{st['credit_class']}"
    inner = hashlib.sha256(S.encode()).hexdigest()
    t = time.perf_counter()
    tickets = sorted(("0." + str(int(hashlib.sha256((inner + i).encode()).hexdigest(), 16)).zfill(64)[::-1], i)
                     for i in ids)
    want = [(i, tk[:20]) for tk, i in tickets[:st["n"]]]
    got = [(s["entity_id"], s["ticket"]) for s in doc["selections"]
           if s["item_id"] == st["item_id"] and s["credit_class"] == st["credit_class"]]
    print(f"check: stratum {st['credit_class']} ({len(ids):,} eligible, n = {st['n']:,}) recomputed with "
          f"plain hashlib in {time.perf_counter() - t:.0f} s: {'identical' if got == want else 'DIFFERENT'}")
    assert got == want


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entities", type=int, default=10_000_000)
    ap.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "zhunsheng-bench-draw")
    ap.add_argument("--format", default="csv", help="publication formats for the timed run (csv, xlsx)")
    ap.add_argument("--keep", action="store_true", help="keep the output directory")
    ap.add_argument("--check", action="store_true",
                    help="recompute the smallest stratum with plain hashlib and compare (about a minute)")
    args = ap.parse_args()
    paths = make_data(args.data, args.entities)
    work = Path(tempfile.mkdtemp(prefix="bench-draw-"))
    env = dict(os.environ, ZHUNSHENG_DB=f"sqlite:///{work / 'ledger.sqlite'}", PYTHONPATH=str(ROOT))
    base = [sys.executable, "-c", "import sys; from engine.draw.commands import draw; draw(sys.argv[1:])"]
    inputs = ["--entities", str(paths["entities"]), "--inspectors", str(paths["inspectors"]),
              "--conflicts", str(paths["conflicts"])]
    prep = measure(base + ["prepare", str(paths["plan"]), *inputs], env, sample_memory=True)
    if prep["rc"] != 0:
        print(prep["output"])
        return 1
    out = work / "out"
    run_args = ["run", str(paths["plan"]), *inputs, "--seed", "bench-seed-20250310", "--seed-note", "benchmark",
                "--out", str(out), "--format", args.format]
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())   # other work on the machine skews wall time
    run = measure(base + run_args, env)
    print(run["output"])
    if run["rc"] != 0:
        return 1
    # the same draw again in a fresh ledger, this time with the memory sampler (it steals CPU: not timed)
    env_mem = dict(env, ZHUNSHENG_DB=f"sqlite:///{work / 'ledger-mem.sqlite'}")
    measure(base + ["prepare", str(paths["plan"]), *inputs], env_mem)
    mem = measure(base + run_args[:-4] + ["--out", str(work / "out-mem"), "--format", args.format], env_mem,
                  sample_memory=True)
    run["peak_tree_pss"], run["peak_main_rss"] = mem["peak_tree_pss"], mem["peak_main_rss"]
    doc = json.loads((out / "draw.json").read_text(encoding="utf-8"))
    gib = 2 ** 30
    print(f"entities: {args.entities:,}; selected {len(doc['selections']):,}; "
          f"assigned {len(doc['assignments']):,}; unfilled {len(doc['unfilled']):,}; "
          f"workers {os.environ.get('ZHUNSHENG_DRAW_WORKERS', os.cpu_count())}")
    for name, m in (("prepare", prep), ("run", run)):
        print(f"{name:8s} wall {m['wall_s']:.1f} s, CPU {m['cpu'][0]:.1f} s user + {m['cpu'][1]:.1f} s system "
              f"(load average before: {load_before}); peak memory {m['peak_tree_pss'] / gib:.2f} GiB "
              f"(main RSS + workers' USS); main process peak RSS "
              f"{m['peak_main_rss'] / gib:.2f} GiB (kernel ru_maxrss {m['max_single_rss'] / gib:.2f} GiB)")
    if args.check:
        check_smallest_stratum(doc, paths)
    ok = run["wall_s"] <= 30 and max(run["peak_tree_pss"], run["max_single_rss"]) <= 4 * gib
    print("within budget (≤ 30 s, ≤ 4 GiB)" if ok else "OVER BUDGET (≤ 30 s, ≤ 4 GiB)")
    if not args.keep:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"output kept in {work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
