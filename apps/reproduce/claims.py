"""A claim: one YAML file under ``apps/reproduce/claims/``, loaded and checked into dataclasses.

Nothing about a claim lives in Python code; this module only knows the schema. Keys (``?`` =
optional, with its default)::

    name: arma-video-speeds          # = the file's stem
    version: 1                       # int >= 1; bump it when the grid changes (a run folder of
                                     # another version is refused, not mixed)
    app: video_prediction            # runs `python -m apps.<app>`; a dotted name is a module
    seed_flag?: --seed_everything    # the app's seed flag (apps.receptive_field: --seed)
    paper: "Su, Wang, Huang, NeurIPS 2020"
    table: "Table 3"
    claim: "one sentence"
    metrics:                         # summary.json key (dotted path; list index as .0) ->
      test_psnr: {label: PSNR, higher_is_better: true}
    rows:                            # model configurations, in the paper's order
      conv3: {label: "ConvLSTM 3x3", args: ["--model.preset", "conv3"]}
    columns:                         # settings; a claim with one setting has one column
      x1: {label: "1x speed", args?: []}
    scales:                          # any of smoke, cpu, paper
      smoke: {seeds: 2, args: ["--smoke"], row_args?: {conv3: [...]},
              column_args?: {x1: [...]}, minutes?: 1.0, gpu_hours?: 0.01,
              requires?: {"--data.root": "why the scale needs it"}}
    paper_values?:                   # the paper's printed numbers: row -> column -> metric
      conv3: {x1: {test_psnr: 18.24}}
    verdict:
      claims:
        - id: arma_beats_conv3
          text: "ARMA-LSTM >= ConvLSTM 3x3 at every speed"
          combine?: all              # all | any
          comparisons:
            - {metric: test_psnr, side: greater, margin?: 0,
               terms: [{row: arma, column: x1, coef: 1}, {row: conv3, column: x1, coef: -1}]}

A comparison is the contrast ``sum coef * mean(metric at row/column)``; ``side`` is ``greater``
(the contrast exceeds ``margin``), ``less`` (it stays below ``margin``) or ``within`` (it lies in
``[-margin, margin]``, ``margin > 0``); see :mod:`apps.reproduce.verdict`.

``minutes`` is the measured wall time of the whole grid at that scale on the 2-core CPU machine;
``gpu_hours`` the estimated GPU-hours of the whole grid at the scale's seed count. ``requires``
maps flags the user must pass after ``--`` (e.g. the real data's ``--data.root``) to the reason;
without them the runner says so and runs nothing. A cell's
command is built by :func:`apps.reproduce.grid.cell_command`. Every check raises ``ValueError``
naming the file, the key and the bad value.
"""

from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "CLAIMS_DIR",
    "COMBINES",
    "SCALES",
    "SIDES",
    "Axis",
    "Claim",
    "Comparison",
    "Metric",
    "Scale",
    "SubClaim",
    "Term",
    "available_claims",
    "claim_from_dict",
    "load_claim",
    "resolve_claim",
]

CLAIMS_DIR = Path(__file__).resolve().parent / "claims"
SCALES = ("smoke", "cpu", "paper")
SIDES = ("greater", "less", "within")
COMBINES = ("all", "any")


@dataclass(frozen=True)
class Metric:
    key: str  # summary.json key or dotted path
    label: str
    higher_is_better: bool


@dataclass(frozen=True)
class Axis:
    """One row (a model configuration) or column (a setting) of the grid."""

    name: str
    label: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scale:
    name: str
    seeds: int
    args: tuple[str, ...] = ()
    row_args: dict[str, tuple[str, ...]] = field(default_factory=dict)
    column_args: dict[str, tuple[str, ...]] = field(default_factory=dict)
    minutes: float | None = None  # measured wall minutes of the whole grid (CPU machine)
    gpu_hours: float | None = None  # estimated GPU-hours of the whole grid
    requires: dict[str, str] = field(default_factory=dict)  # flag after "--" -> why

    def missing(self, extra: tuple[str, ...] | list[str]) -> dict[str, str]:
        """The ``requires`` flags absent from ``extra`` (``--flag V`` or ``--flag=V``)."""
        return {
            flag: why
            for flag, why in self.requires.items()
            if not any(a == flag or a.startswith(f"{flag}=") for a in extra)
        }


@dataclass(frozen=True)
class Term:
    row: str
    column: str
    coef: float


@dataclass(frozen=True)
class Comparison:
    """``sum_i coef_i * mean(metric at cell_i)`` judged against ``margin`` on ``side``."""

    metric: str
    side: str
    terms: tuple[Term, ...]
    margin: float = 0.0


@dataclass(frozen=True)
class SubClaim:
    id: str
    text: str
    comparisons: tuple[Comparison, ...]
    combine: str = "all"


@dataclass(frozen=True)
class Claim:
    name: str
    version: int
    app: str
    paper: str
    table: str
    claim: str
    metrics: dict[str, Metric]
    rows: dict[str, Axis]
    columns: dict[str, Axis]
    scales: dict[str, Scale]
    verdict: tuple[SubClaim, ...]
    seed_flag: str = "--seed_everything"
    paper_values: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    path: Path | None = None

    @property
    def module(self) -> str:
        """The module run as ``python -m``: ``apps.<app>``, or ``app`` itself when dotted."""
        return self.app if "." in self.app else f"apps.{self.app}"

    def scale(self, name: str) -> Scale:
        if name not in self.scales:
            raise ValueError(
                f"claim {self.name!r} has no scale {name!r}; it has {', '.join(self.scales)}"
            )
        return self.scales[name]


class _Checker:
    """Typed access to a YAML mapping; every failure names the file and the key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> ValueError:
        return ValueError(f"{self.source}: key '{key}' {message}")

    def mapping(self, value: Any, key: str, required: set[str], optional: set[str]) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, f"should be a mapping, got {value!r}")
        unknown = sorted(set(map(str, value)) - required - optional)
        if unknown:
            allowed = ", ".join(sorted(required | optional))
            raise self.fail(key, f"has unknown keys {unknown} (allowed: {allowed})")
        missing = sorted(required - set(value))
        if missing:
            raise self.fail(key, f"is missing {missing}")
        return value

    def str_(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, f"should be a non-empty string, got {value!r}")
        return value

    def int_(self, value: Any, key: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"should be an int >= {minimum}, got {value!r}")
        return value

    def number(self, value: Any, key: str, minimum: float | None = None) -> float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or (minimum is not None and value < minimum):
            bound = "" if minimum is None else f" >= {minimum:g}"
            raise self.fail(key, f"should be a finite number{bound}, got {value!r}")
        return float(value)

    def bool_(self, value: Any, key: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, f"should be true or false, got {value!r}")
        return value

    def args(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(a, str | int | float) for a in value):
            raise self.fail(key, f"should be a list of command-line arguments, got {value!r}")
        if any(isinstance(a, bool) for a in value):
            raise self.fail(key, f"should hold strings (quote true/false), got {value!r}")
        return tuple(str(a) for a in value)

    def list_(self, value: Any, key: str) -> list:
        if not isinstance(value, list) or not value:
            raise self.fail(key, f"should be a non-empty list, got {value!r}")
        return value

    def choice(self, value: Any, key: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            raise self.fail(key, f"should be one of {', '.join(choices)}, got {value!r}")
        return value


def _axes(c: _Checker, value: Any, key: str) -> dict[str, Axis]:
    if not isinstance(value, dict) or not value:
        raise c.fail(key, f"should be a non-empty mapping of names, got {value!r}")
    out = {}
    for name, spec in value.items():
        k = f"{key}.{name}"
        spec = c.mapping(spec, k, {"label"}, {"args"})
        label = c.str_(spec["label"], f"{k}.label")
        out[str(name)] = Axis(str(name), label, c.args(spec.get("args", []), f"{k}.args"))
    return out


def _scales(
    c: _Checker, value: Any, rows: dict[str, Axis], columns: dict[str, Axis]
) -> dict[str, Scale]:
    if not isinstance(value, dict) or not value:
        raise c.fail("scales", f"should be a non-empty mapping, got {value!r}")
    out = {}
    for name, spec in value.items():
        k = f"scales.{name}"
        c.choice(name, k, SCALES)
        spec = c.mapping(
            spec,
            k,
            {"seeds"},
            {"args", "row_args", "column_args", "minutes", "gpu_hours", "requires"},
        )
        requires = spec.get("requires") or {}
        if not isinstance(requires, dict) or not all(
            isinstance(f, str) and f.startswith("--") and isinstance(w, str) and w
            for f, w in requires.items()
        ):
            raise c.fail(f"{k}.requires", f"should map --flags to reasons, got {requires!r}")
        per_axis = {}
        for key, axis, what in (("row_args", rows, "row"), ("column_args", columns, "column")):
            given = spec.get(key) or {}
            if not isinstance(given, dict):
                raise c.fail(f"{k}.{key}", f"should be a mapping {what} -> args, got {given!r}")
            for name_ in given:
                c.choice(name_, f"{k}.{key}.{name_}", tuple(axis))
            per_axis[key] = {str(n): c.args(a, f"{k}.{key}.{n}") for n, a in given.items()}
        out[name] = Scale(
            name=name,
            seeds=c.int_(spec["seeds"], f"{k}.seeds", 1),
            args=c.args(spec.get("args", []), f"{k}.args"),
            row_args=per_axis["row_args"],
            column_args=per_axis["column_args"],
            minutes=None
            if spec.get("minutes") is None
            else c.number(spec["minutes"], f"{k}.minutes", 0),
            gpu_hours=None
            if spec.get("gpu_hours") is None
            else c.number(spec["gpu_hours"], f"{k}.gpu_hours", 0),
            requires=dict(requires),
        )
    return out


def _verdict(c: _Checker, value: Any, claim: dict[str, Any]) -> tuple[SubClaim, ...]:
    value = c.mapping(value, "verdict", {"claims"}, set())
    subs = c.list_(value["claims"], "verdict.claims")
    out, seen = [], set()
    for i, sub in enumerate(subs):
        k = f"verdict.claims[{i}]"
        sub = c.mapping(sub, k, {"id", "text", "comparisons"}, {"combine"})
        sid = c.str_(sub["id"], f"{k}.id")
        if sid in seen:
            raise c.fail(f"{k}.id", f"repeats the id {sid!r}")
        seen.add(sid)
        comps = c.list_(sub["comparisons"], f"{k}.comparisons")
        parsed = []
        for j, comp in enumerate(comps):
            kj = f"{k}.comparisons[{j}]"
            comp = c.mapping(comp, kj, {"metric", "side", "terms"}, {"margin"})
            side = c.choice(comp["side"], f"{kj}.side", SIDES)
            margin = c.number(comp.get("margin", 0), f"{kj}.margin")
            if side == "within" and margin <= 0:
                raise c.fail(f"{kj}.margin", f"should be > 0 for side 'within', got {margin!r}")
            terms = c.list_(comp["terms"], f"{kj}.terms")
            parsed_terms = []
            for t, term in enumerate(terms):
                kt = f"{kj}.terms[{t}]"
                term = c.mapping(term, kt, {"row", "column", "coef"}, set())
                coef = c.number(term["coef"], f"{kt}.coef")
                if coef == 0:
                    raise c.fail(f"{kt}.coef", "should be non-zero, got 0")
                parsed_terms.append(
                    Term(
                        c.choice(term["row"], f"{kt}.row", tuple(claim["rows"])),
                        c.choice(term["column"], f"{kt}.column", tuple(claim["columns"])),
                        coef,
                    )
                )
            metric = c.choice(comp["metric"], f"{kj}.metric", tuple(claim["metrics"]))
            parsed.append(Comparison(metric, side, tuple(parsed_terms), margin))
        combine = c.choice(sub.get("combine", "all"), f"{k}.combine", COMBINES)
        out.append(SubClaim(sid, c.str_(sub["text"], f"{k}.text"), tuple(parsed), combine))
    return tuple(out)


def _paper_values(c: _Checker, value: Any, claim: dict[str, Any]) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise c.fail("paper_values", f"should be a mapping row -> column -> metric, got {value!r}")
    out: dict[str, dict[str, dict[str, float]]] = {}
    for r, cols in value.items():
        c.choice(r, f"paper_values.{r}", tuple(claim["rows"]))
        if not isinstance(cols, dict):
            raise c.fail(f"paper_values.{r}", f"should be a mapping column -> ..., got {cols!r}")
        for col, metrics in cols.items():
            k = f"paper_values.{r}.{col}"
            c.choice(col, k, tuple(claim["columns"]))
            if not isinstance(metrics, dict):
                raise c.fail(k, f"should be a mapping metric -> number, got {metrics!r}")
            for m, v in metrics.items():
                c.choice(m, f"{k}.{m}", tuple(claim["metrics"]))
                out.setdefault(r, {}).setdefault(col, {})[m] = c.number(v, f"{k}.{m}")
    return out


def claim_from_dict(data: Any, source: str = "<claim>", stem: str | None = None) -> Claim:
    """Check a parsed claim (see the module docstring) and build a :class:`Claim`.

    Args:
        data: the YAML document as loaded.
        source: names the claim in error messages (the file's path).
        stem: the file's stem, which ``name`` must equal (None: not checked).
    """
    c = _Checker(source)
    required = {"name", "version", "app", "paper", "table", "claim", "metrics", "rows"}
    required |= {"columns", "scales", "verdict"}
    d = c.mapping(data, "<top>", required, {"seed_flag", "paper_values"})
    name = c.str_(d["name"], "name")
    if stem is not None and name != stem:
        raise c.fail("name", f"should equal the file's stem {stem!r}, got {name!r}")
    app = c.str_(d["app"], "app")
    module = app if "." in app else f"apps.{app}"
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise c.fail("app", f"should name a runnable module, got {app!r} (no module {module})")
    seed_flag = c.str_(d.get("seed_flag", "--seed_everything"), "seed_flag")
    if not seed_flag.startswith("--"):
        raise c.fail("seed_flag", f"should be a flag such as --seed, got {seed_flag!r}")
    metrics_raw = d["metrics"]
    if not isinstance(metrics_raw, dict) or not metrics_raw:
        raise c.fail("metrics", f"should be a non-empty mapping, got {metrics_raw!r}")
    metrics = {}
    for key, spec in metrics_raw.items():
        k = f"metrics.{key}"
        spec = c.mapping(spec, k, {"label", "higher_is_better"}, set())
        label = c.str_(spec["label"], f"{k}.label")
        higher = c.bool_(spec["higher_is_better"], f"{k}.higher_is_better")
        metrics[str(key)] = Metric(str(key), label, higher)
    rows = _axes(c, d["rows"], "rows")
    columns = _axes(c, d["columns"], "columns")
    names = {"rows": rows, "columns": columns, "metrics": metrics}
    return Claim(
        name=name,
        version=c.int_(d["version"], "version", 1),
        app=app,
        paper=c.str_(d["paper"], "paper"),
        table=c.str_(d["table"], "table"),
        claim=c.str_(d["claim"], "claim"),
        metrics=metrics,
        rows=rows,
        columns=columns,
        scales=_scales(c, d["scales"], rows, columns),
        verdict=_verdict(c, d["verdict"], names),
        seed_flag=seed_flag,
        paper_values=_paper_values(c, d.get("paper_values"), names),
    )


def load_claim(path: str | Path) -> Claim:
    """Load and check one claim file (``ValueError`` naming the file, key and value)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: not valid YAML: {err}") from err
    claim = claim_from_dict(data, source=str(path), stem=path.stem)
    return replace(claim, path=path.resolve())


def available_claims(folder: Path = CLAIMS_DIR) -> list[Path]:
    """The claim files, by name."""
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


def resolve_claim(name_or_path: str) -> Claim:
    """A claim by name (``apps/reproduce/claims/<name>.yaml``) or by the path of a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise ValueError(f"claim file {name_or_path} does not exist")
        return load_claim(path)
    candidate = CLAIMS_DIR / f"{name_or_path}.yaml"
    if not candidate.is_file():
        known = ", ".join(p.stem for p in available_claims()) or "none yet"
        raise ValueError(f"no claim named {name_or_path!r} (known: {known})")
    return load_claim(candidate)
