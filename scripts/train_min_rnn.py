"""Train minGRU against an LSTM and a tanh RNN of (about) equal size on the adding problem.

Usage (from the repository root)::

    python scripts/train_min_rnn.py                      # the committed configuration
    python scripts/train_min_rnn.py --baseline-steps 300 # also an LSTM and a tanh RNN

Every model reads the same stream of training batches (``adding_problem`` with a seeded
generator) and is scored on one fixed test batch of 1000 sequences every ``--eval-every``
steps. With ``--warmup-steps`` > 0 every model first trains on sequences of length
``--warmup-T`` until its test error there is below ``--warmup-target`` (a curriculum). minGRU
trains in ``--mode`` (``scan``: the linear-space Blelloch scan; ``parallel``: the log-space
scan; same states), with its update-gate bias initialised to ``--gate-bias``; the LSTM and the
RNN are ``torch.nn`` layers. The LSTM's and RNN's hidden sizes are chosen so that their parameter
counts are the closest to minGRU's. The log (configuration, test MSE curves, wall times,
machine load) goes to ``src/rnnbook/data/checkpoints/min_rnn_adding.json`` and minGRU's final
weights (float32, a few kB) to ``min_rnn_adding.pt`` next to it; chapter 18 loads and
re-evaluates them.
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
from rnnbook.frameworks.min_rnn import MinRNNRegressor, count_parameters

OUT_DIR = (
    Path(__file__).resolve().parents[1] / "src" / "rnnbook" / "data" / "checkpoints"
)


class TorchRegressor(nn.Module):
    """``torch.nn.LSTM`` or ``torch.nn.RNN`` and a linear read-out of the last state."""

    def __init__(self, cell: str, D: int, H: int):
        super().__init__()
        self.rnn = {"lstm": nn.LSTM, "rnn": nn.RNN}[cell](D, H, batch_first=True)
        self.readout = nn.Linear(H, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.readout(out[:, -1]).squeeze(-1)


def matched_hidden(cell: str, target: int) -> int:
    sizes = range(1, 129)
    return min(
        sizes, key=lambda H: abs(count_parameters(TorchRegressor(cell, 2, H)) - target)
    )


def train(model, args, steps, log_name, on_eval=None, T=None, stop_mse=None):
    """Adam on fresh batches of length T (default args.T) until steps or test MSE < stop."""
    T = args.T if T is None else T
    stop_mse = args.stop_mse if stop_mse is None else stop_mse
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x_test, y_test = adding_problem(1000, T, seed=12345, dtype=np.float32)
    x_test, y_test = torch.from_numpy(x_test), torch.from_numpy(y_test)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    curve, start = [], time.perf_counter()
    for step in range(1, steps + 1):
        x, y = adding_problem(args.N, T, seed=rng, dtype=np.float32)
        loss = ((model(torch.from_numpy(x)) - torch.from_numpy(y)) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % args.eval_every == 0 or step == steps:
            with torch.no_grad():
                mse = ((model(x_test) - y_test) ** 2).mean().item()
            seconds = time.perf_counter() - start
            curve.append({"step": step, "test_mse": mse, "seconds": round(seconds, 1)})
            print(f"{log_name:7s} step {step:5d} test MSE {mse:.4f} ({seconds:.0f} s)")
            if on_eval is not None:
                on_eval(curve)
            if mse < stop_mse:
                break
    return curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=1000)
    parser.add_argument("--N", type=int, default=32)
    parser.add_argument("--H", type=int, default=32)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--baseline-steps", type=int, default=0)
    parser.add_argument("--eval-every", type=int, default=50)
    parser.add_argument("--stop-mse", type=float, default=0.002)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    parser.add_argument(
        "--warmup-T",
        type=int,
        default=100,
        help="curriculum: every model first trains on sequences of this length",
    )
    parser.add_argument("--warmup-steps", type=int, default=1000, help="0: no warm-up")
    parser.add_argument("--warmup-target", type=float, default=0.01)
    parser.add_argument(
        "--mode",
        default="scan",
        choices=["parallel", "scan"],
        help="minGRU's training mode: log-space or linear-space scan (same states)",
    )
    parser.add_argument(
        "--gate-bias",
        type=float,
        default=-4.0,
        help="initial bias of minGRU's update-gate pre-activations k (0: PyTorch's "
        "default); a negative value makes z small, so the initial states forget slowly",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()

    torch.manual_seed(args.seed)
    mingru = MinRNNRegressor(2, args.H, layers=args.layers, mode=args.mode)
    if args.gate_bias:
        with torch.no_grad():
            for layer in mingru.rnns:  # bias rows [k; p]: the first H belong to z
                layer.linear.bias[: args.H] = args.gate_bias
    n_params = count_parameters(mingru)
    models = {"mingru": (mingru, args.steps)}
    for cell in ("lstm", "rnn"):
        torch.manual_seed(args.seed)
        model = TorchRegressor(cell, 2, matched_hidden(cell, n_params))
        if args.baseline_steps > 0:
            models[cell] = (model, args.baseline_steps)

    log = {
        "task": "adding problem",
        # the output folder is left out: an absolute path names the machine, not the run
        "config": {k: v for k, v in vars(args).items() if k != "out_dir"},
        "baseline_mse": adding_baseline_mse(),
        "models": {},
        "machine": platform.machine(),
        "torch_version": torch.__version__,
        "load_average_before": [round(v, 2) for v in load_before],
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, (model, steps) in models.items():
        hidden = args.H if name == "mingru" else model.rnn.hidden_size

        def save(curve, name=name, model=model, hidden=hidden, steps=steps):
            # Written at every evaluation, so that an interrupted run still leaves its log.
            log["models"][name] = {
                "hidden": hidden,
                "parameters": count_parameters(model),
                "planned_steps": steps,
                "curve": curve,
                "final_test_mse": curve[-1]["test_mse"],
                "wall_seconds": curve[-1]["seconds"],
                "seconds_per_step": round(curve[-1]["seconds"] / curve[-1]["step"], 4),
            }
            log["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
            (args.out_dir / "min_rnn_adding.json").write_text(
                json.dumps(log, indent=1) + "\n"
            )
            if name == "mingru":
                torch.save(
                    {
                        "state_dict": model.state_dict(),
                        "H": args.H,
                        "layers": args.layers,
                    },
                    args.out_dir / "min_rnn_adding.pt",
                )

        if args.warmup_steps > 0:
            warm = train(
                model,
                args,
                args.warmup_steps,
                f"{name}@{args.warmup_T}",
                T=args.warmup_T,
                stop_mse=args.warmup_target,
            )
            log.setdefault("warmup", {})[name] = warm
        train(model, args, steps, name, on_eval=save)
    print(f"wrote {args.out_dir / 'min_rnn_adding.json'}")


if __name__ == "__main__":
    main()
