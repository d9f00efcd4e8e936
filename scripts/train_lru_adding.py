"""Train the LRU of chapter 19 on the adding problem at T = 1000 (CPU, fixed seed).

Usage (from the repository root)::

    python scripts/train_lru_adding.py                 # the committed run (LRU)
    python scripts/train_lru_adding.py --model rnn     # a tanh RNN, same data and budget

The same fixed test batch as chapter 8 (``adding_problem(1000, T, seed=10_000)``), training
batches ``adding_problem(64, T, seed=1_000_000 + step)``.

With ``--warmup-T 100`` (the default) the model first trains at T = 100 (a curriculum, its own
evaluation batch ``seed=20_000``) until its MSE there is below ``--warmup-target``; those
records are logged separately. Then it trains at T = 1000 with learning rate ``--lr-long``;
every ``eval_every`` steps the MSE on a validation batch (``seed=30_000``) and on the test
batch is logged, and the run stops at ``--steps`` or once the validation MSE is below
``--target``. The weights with the best validation MSE are written in float32 to
``src/rnnbook/data/checkpoints/<model>_adding_T<T>.pt``, the log (configuration, every
record, the test MSE of those weights, wall and CPU time, machine load) to the ``.json``
next to it; chapter 19 loads both and re-evaluates the checkpoint on the test batch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from rnnbook.data.tasks import adding_baseline_mse, adding_problem
from rnnbook.frameworks.lru import LRUModel

OUT_DIR = (
    Path(__file__).resolve().parents[1] / "src" / "rnnbook" / "data" / "checkpoints"
)


class TanhRNNRegressor(nn.Module):
    """nn.RNN (tanh) -> linear readout of the last state: x (N, T, 2) -> (N,)."""

    def __init__(self, hidden):
        super().__init__()
        self.rnn = nn.RNN(2, hidden, batch_first=True)
        self.readout = nn.Linear(hidden, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.readout(out[:, -1]).squeeze(-1)


def build(args):
    if args.model == "lru":
        return LRUModel(
            2,
            args.hidden,
            args.state,
            layers=1,
            r_min=args.r_min,
            r_max=args.r_max,
            max_phase=args.max_phase,
        )
    return TanhRNNRegressor(args.hidden)


def predict(model, x, kind):
    return model(x, "last") if kind == "lru" else model(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="lru", choices=["lru", "rnn"])
    parser.add_argument("--T", type=int, default=1000)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--state", type=int, default=32)
    parser.add_argument("--r-min", type=float, default=0.999)
    parser.add_argument("--r-max", type=float, default=0.99999)
    parser.add_argument("--max-phase", type=float, default=np.pi / 100)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument(
        "--lr-long", type=float, default=1e-3, help="learning rate at the full length"
    )
    parser.add_argument("--steps", type=int, default=1200)
    parser.add_argument("--eval-every", type=int, default=50)
    parser.add_argument("--target", type=float, default=0.002)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--warmup-T",
        type=int,
        default=100,
        help="curriculum: train at this shorter length first (0: no curriculum)",
    )
    parser.add_argument("--warmup-target", type=float, default=0.01)
    parser.add_argument("--warmup-steps", type=int, default=600)
    args = parser.parse_args()

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    model = build(args)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    x_test, y_test = adding_problem(1000, args.T, seed=10_000, dtype=np.float32)
    x_test, y_test = torch.from_numpy(x_test), torch.from_numpy(y_test)
    records, start = [], time.time()
    cpu_start = time.process_time()
    load_start = os.getloadavg()[0]
    # Curriculum: the same model first learns the task at a short length, where the marked
    # steps are a larger share of the sum; then it continues at the full length.
    warmup_records = []
    if args.warmup_T:
        xw, yw = adding_problem(1000, args.warmup_T, seed=20_000, dtype=np.float32)
        xw, yw = torch.from_numpy(xw), torch.from_numpy(yw)
        for step in range(1, args.warmup_steps + 1):
            x, y = adding_problem(
                64, args.warmup_T, seed=2_000_000 + step, dtype=np.float32
            )
            loss = (
                (predict(model, torch.from_numpy(x), args.model) - torch.from_numpy(y))
                ** 2
            ).mean()
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            if step % args.eval_every == 0:
                with torch.no_grad():
                    test = ((predict(model, xw, args.model) - yw) ** 2).mean().item()
                warmup_records.append(
                    dict(
                        step=step,
                        test_mse=round(test, 6),
                        wall_s=round(time.time() - start, 1),
                    )
                )
                print("warm-up", warmup_records[-1], flush=True)
                if test < args.warmup_target:
                    break
    # At the full length: a smaller step (the loss is noisier), and the weights with the best
    # MSE on a validation batch are kept; the test batch is only used to report.
    for group in opt.param_groups:
        group["lr"] = args.lr_long
    x_val, y_val = adding_problem(1000, args.T, seed=30_000, dtype=np.float32)
    x_val, y_val = torch.from_numpy(x_val), torch.from_numpy(y_val)
    best_val, best_state, best_step = float("inf"), None, 0
    for step in range(1, args.steps + 1):
        x, y = adding_problem(64, args.T, seed=1_000_000 + step, dtype=np.float32)
        loss = (
            (predict(model, torch.from_numpy(x), args.model) - torch.from_numpy(y)) ** 2
        ).mean()
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % args.eval_every == 0 or step == args.steps:
            with torch.no_grad():
                val = ((predict(model, x_val, args.model) - y_val) ** 2).mean().item()
                test = (
                    ((predict(model, x_test, args.model) - y_test) ** 2).mean().item()
                )
            records.append(
                dict(
                    step=step,
                    train_mse=round(loss.item(), 6),
                    val_mse=round(val, 6),
                    test_mse=round(test, 6),
                    wall_s=round(time.time() - start, 1),
                )
            )
            print(records[-1], flush=True)
            if val < best_val:
                best_val, best_step = val, step
                best_state = {k: v.clone() for k, v in model.state_dict().items()}
            if val < args.target:
                break
    model.load_state_dict(best_state)
    with torch.no_grad():
        final_test = ((predict(model, x_test, args.model) - y_test) ** 2).mean().item()
    name = f"{args.model}_adding_T{args.T}"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), OUT_DIR / f"{name}.pt")
    log = dict(
        config=vars(args),
        parameters=sum(p.numel() for p in model.parameters()),
        baseline_mse=adding_baseline_mse(),
        warmup_records=warmup_records,
        records=records,
        best_step=best_step,
        best_val_mse=round(best_val, 6),
        final_test_mse=round(final_test, 6),
        wall_s=round(time.time() - start, 1),
        cpu_s=round(time.process_time() - cpu_start, 1),
        load_average_start=round(load_start, 1),
        load_average_end=round(os.getloadavg()[0], 1),
        machine=f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}",
        date=time.strftime("%Y-%m-%d"),
    )
    (OUT_DIR / f"{name}.json").write_text(json.dumps(log, indent=1) + "\n")
    print(f"wrote {name}.pt and {name}.json: final test MSE {log['final_test_mse']}")


if __name__ == "__main__":
    main()
