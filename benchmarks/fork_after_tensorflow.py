"""Is it safe to fork grading kernels from a process that has TensorFlow loaded? (issue 17, warm Keras lessons)

Warm kernels are forked from a preloaded zygote (convcourse/grading/warm_kernels.py); lessons 03-06 would
gain the ~4 s TensorFlow import per kernel and per re-check if the zygote imported it. Forking a process
that runs threads is only safe if no thread holds a lock at the fork. This measures, in one run:

1. the parent imports TensorFlow and Keras only (no operation run): its threads, memory and import time;
   then N children are forked one after another, each trains a small Keras model and exits: time, result,
   and each child's proportional memory (PSS, as the job supervisor counts it);
2. the parent runs one TensorFlow operation (its thread pools start), then forks one child that trains:
   does the child finish within a deadline, or deadlock?

    .venv/bin/python benchmarks/fork_after_tensorflow.py [N]
"""

from __future__ import annotations

import os
import signal
import sys
import time

DEADLINE = 60


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def _pss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        return next(int(line.split()[1]) for line in rollup if line.startswith("Pss:")) / 1024


def _train_small_model() -> None:
    import keras
    import numpy as np

    images = np.random.default_rng(0).random((64, 28, 28, 1)).astype("float32")
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(10)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(images, np.zeros(64, int), epochs=2, verbose=0)


def _fork_and_train() -> str:
    """Fork a child that trains and reports; the verdict, with the child's time and PSS, or 'deadlocked'."""
    read_end, write_end = os.pipe()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        signal.alarm(DEADLINE)  # a deadlocked child dies of SIGALRM
        _train_small_model()
        os.write(write_end, f"{time.monotonic() - started:.2f} s, PSS {_pss_mb():.0f} MB".encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"deadlocked: killed by {signal.Signals(os.WTERMSIG(status)).name} after {DEADLINE} s"
    return f"trained in {report}" if report else f"failed, exit status {os.waitstatus_to_exitcode(status)}"


def main(children: int = 4) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    started = time.monotonic()
    import keras  # noqa: F401
    import tensorflow as tf

    print(f"parent: TensorFlow and Keras imported in {time.monotonic() - started:.1f} s; "
          f"{_threads()} threads, PSS {_pss_mb():.0f} MB")
    for child in range(children):
        print(f"  child {child + 1} (parent ran no operation): {_fork_and_train()}", flush=True)
    tf.nn.max_pool2d(tf.ones((1, 4, 4, 1)), 2, 2, "VALID")
    print(f"parent ran one operation: {_threads()} threads")
    print(f"  child after that: {_fork_and_train()}", flush=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 4)
