"""The steps of a long job run as subprocesses, each timed: wall and CPU
seconds (this process and its children) and the machine's load."""
import os
import resource
import subprocess
import time
from typing import Mapping, Sequence


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its finished
    children."""
    r = [resource.getrusage(w) for w in (resource.RUSAGE_SELF,
                                          resource.RUSAGE_CHILDREN)]
    return sum(x.ru_utime + x.ru_stime for x in r)


class StepClock:
    """Runs each step's command in ``cwd`` (a line ``<label> <name>: <the
    command's arguments>`` first) and records it in ``steps``: name, wall
    and CPU seconds, 1-minute load at its end. A failed step ends the job
    (SystemExit) with the last 15 lines of its output."""

    def __init__(self, label: str, cwd: str):
        self.label, self.cwd = label, cwd
        self.steps = []

    def run(self, name: str, cmd: Sequence[str], env: Mapping) -> str:
        t0, c0 = time.time(), cpu_seconds()
        print(f'{self.label} {name}: {" ".join(cmd[1:])}', flush=True)
        out = subprocess.run(cmd, cwd=self.cwd, env=env,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        self.steps.append(dict(step=name, wall=time.time() - t0,
                               cpu=cpu_seconds() - c0,
                               load=os.getloadavg()[0]))
        if out.returncode != 0:
            tail = '\n'.join(out.stdout.splitlines()[-15:])
            raise SystemExit(f'error: {name} failed (exit '
                             f'{out.returncode}):\n{tail}')
        return out.stdout

    def table(self) -> str:
        """The steps as a markdown table."""
        rows = ['| step | wall s | CPU s | load (1 min) |',
                '|---|---|---|---|']
        rows += [f'| {s["step"]} | {s["wall"]:.0f} | {s["cpu"]:.0f} | '
                 f'{s["load"]:.1f} |' for s in self.steps]
        return '\n'.join(rows)
