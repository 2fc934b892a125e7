"""A training run in a child process, for the lock and kill -9 tests (tests/training/test_reliability.py).

    python _child_run.py CONFIG.yaml OUT MODE

MODE: ``plain`` (train; the parent kills it at a random moment), ``hold-mid-checkpoint`` (pause for ever in
the middle of the second write of checkpoints/last.pt: temporary file written, not yet renamed; the parent
runs a second trainer, then kills this one), ``kill-mid-log`` (SIGKILL itself in the middle of a
metrics.jsonl append, after half the line).
"""
import os
import signal
import sys
import time

from tal_pyg.config import load_config
from tal_pyg.training import Trainer
from tal_pyg.utils import io as io_mod


def main() -> None:
    config, out, mode = sys.argv[1:4]
    calls = {"replace": 0, "append": 0}
    real_replace, real_append = io_mod.os.replace, io_mod.append_text

    def replace(src, dst):
        if str(dst).endswith("last.pt"):
            calls["replace"] += 1
            if calls["replace"] == 2:
                if mode == "hold-mid-checkpoint":
                    print("paused", flush=True)
                    while True:
                        time.sleep(1)
        return real_replace(src, dst)

    def append_text(path, text):
        calls["append"] += 1
        if mode == "kill-mid-log" and calls["append"] == 4:
            with open(path, "a", encoding="utf-8") as f:
                f.write(text[: len(text) // 2])
            os.kill(os.getpid(), signal.SIGKILL)
        return real_append(path, text)

    if not mode.startswith("plain"):
        io_mod.os.replace = replace  # the os module seen by atomic_open
        import tal_pyg.training.metrics_log as ml

        ml.append_text = append_text
    trainer = Trainer(load_config(config), out, log=lambda s: None)
    print("started", flush=True)
    trainer.fit()
    print("finished", flush=True)


if __name__ == "__main__":
    main()
