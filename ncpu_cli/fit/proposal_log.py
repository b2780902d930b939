"""What the gradient proposal tables of one run cost and which holes they left uniform
(the `proposals` field of `ncpu fit --json`, and notes)."""

from __future__ import annotations


class GradLog:
    """Tables of one run of `method`: `share` of moves drawn from them, one table per
    `refresh` proposals (mcmc, per chain) or generations (evolve)."""

    def __init__(self, method: str, share: float, refresh: int,
                 unit: str = "proposals per chain"):
        self.method, self.share, self.refresh, self.unit = method, share, refresh, unit
        self.count, self.seconds, self.uniform = 0, 0.0, None

    def add(self, tables) -> None:
        """Count one GradTables; a hole stays uniform only while no table reaches it."""
        self.count += 1
        self.seconds += tables.seconds
        if self.uniform is None:
            self.uniform = dict(tables.uniform)
        else:
            self.uniform = {h: w for h, w in self.uniform.items() if h in tables.uniform}

    def info(self, sketch) -> dict:
        holes = [{"line": sketch.holes[h].line, "col": sketch.holes[h].col,
                  "kind": sketch.holes[h].kind, "why": why}
                 for h, why in sorted((self.uniform or {}).items())]
        return {"kind": "gradient", "tables": self.count,
                "table_seconds": round(self.seconds, 3), "share": self.share,
                "refresh": f"{self.refresh} {self.unit}", "uniform_holes": holes}

    def notes(self, sketch) -> list[str]:
        out = [f"{self.method}: {self.count:,} gradient tables ({self.seconds:.1f} s of soft "
               f"passes), {self.share:.0%} of moves drawn from them, a fresh table every "
               f"{self.refresh} {self.unit}"]
        for h, why in sorted((self.uniform or {}).items()):
            hole = sketch.holes[h]
            out.append(f"{self.method}: hole {hole.line}:{hole.col} ({hole.kind}) "
                       f"proposed uniformly: {why}")
        return out
