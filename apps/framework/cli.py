"""``main``: the whole command line of an app, on LightningCLI (jsonargparse) and the Trainer.

``python -m apps.<app> [flags]`` = LightningCLI(run=False) over the app's module and data module
with ``apps/<app>/configs/default.yaml`` as the default config, then ``trainer.fit``,
``trainer.test`` (on the best checkpoint when the module names a ``monitor``), the module's
baselines and figures on rank 0, ``summary.json`` and a printed table. The flags beyond
LightningCLI's (``--smoke``, ``--resume``, ``--seeds``, ``--out``, ``--checkpoint_every_n_steps``)
are registered on the same parser (so ``--help`` and ``--print_config`` show them);
``--smoke`` and ``--resume`` also put a config file in front of the arguments (``smoke.yaml``;
the run's own ``config.yaml``), which is why ``main`` looks for them before parsing
(:func:`~apps.framework.argv.config_first`).

``--test_only RUN_DIR_OR_CKPT`` evaluates a trained checkpoint instead of training: the run's
``config.yaml`` goes in front of the arguments (so the model is rebuilt with its hyperparameters,
and later flags such as ``--data.test_file`` still win), the weights are loaded weights-only, and
test, baselines, figures and ``summary.json`` are written into a new run folder.
"""

from __future__ import annotations

import inspect
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
import yaml
from jsonargparse.typing import PositiveInt
from pytorch_lightning.callbacks import ModelCheckpoint
from pytorch_lightning.cli import LightningArgumentParser, LightningCLI
from pytorch_lightning.loggers import CSVLogger, TensorBoardLogger

from .argv import config_first, flag_value, without_flag
from .atomic import write_json_atomic
from .callbacks import LastBatchResumeGuard, RNGStateCallback
from .checkpoint import SafeCheckpointIO, find_checkpoint, load_checkpoint
from .errors import DatasetNotFoundError, InputError, UnsafeCheckpointError
from .run_dir import add_run_dir_arguments, env_world_size, is_rank_zero, resolve_run_dir
from .table import metrics_table

__all__ = ["AppCLI", "main"]

_STARTED = time.perf_counter()


class AppCLI(LightningCLI):
    """LightningCLI with the framework's run folder, loggers, checkpoints and safety plugins."""

    def __init__(
        self,
        *args: Any,
        app: str,
        parent_run_dir: Path | None = None,
        sub: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.app, self.parent_run_dir, self.sub = app, parent_run_dir, sub
        super().__init__(*args, **kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_argument(
            "--smoke", action="store_true", help="toy-size run (merges configs/smoke.yaml)"
        )
        parser.add_argument(
            "--resume",
            type=str | None,
            default=None,
            help="continue the run in this folder from RUN/checkpoints/last.ckpt with its config",
        )
        parser.add_argument(
            "--test_only",
            type=str | None,
            default=None,
            help="evaluate this run folder (its best.ckpt, else last.ckpt) or .ckpt file with its "
            "run's config; no training; writes a new run folder",
        )
        parser.add_argument(
            "--seeds",
            type=PositiveInt,
            default=1,
            help="repeat the run with seeds 0..N-1 (RUN/seed_<k>/); summary with mean and std",
        )
        add_run_dir_arguments(parser)
        parser.add_argument(
            "--checkpoint_every_n_steps",
            type=PositiveInt,
            default=50,
            help="also write RUN/checkpoints/last.ckpt every N training steps (a kill loses less)",
        )

    def instantiate_trainer(self, **kwargs: Any) -> pl.Trainer:
        cfg = self.config
        self.resumed = cfg.resume is not None
        self.test_only = cfg.test_only
        if self.parent_run_dir is not None:
            self.run_dir = self.parent_run_dir / self.sub if self.sub else self.parent_run_dir
            if is_rank_zero():
                self.run_dir.mkdir(parents=True, exist_ok=True)
        else:
            self.run_dir = resolve_run_dir(self.app, cfg.out, cfg.resume, self.sub, cfg.run_dir)
        self.datamodule.smoke = bool(cfg.smoke)
        if is_rank_zero() and not self.resumed:
            self.parser.save(
                cfg, self.run_dir / "config.yaml", skip_none=False, overwrite=True, multifile=False
            )
        module = self.model
        callbacks: list[pl.Callback] = []
        self.best_checkpoint: ModelCheckpoint | None = None
        if getattr(module, "monitor", None):
            self.best_checkpoint = ModelCheckpoint(
                dirpath=self.run_dir / "checkpoints",
                filename="best",
                monitor=module.monitor,
                mode=module.monitor_mode,
                save_top_k=1,
                save_last=False,
                enable_version_counter=False,
            )
            callbacks.append(self.best_checkpoint)
        callbacks += [
            # last.ckpt every N steps and at each epoch end (two callbacks: Lightning's triggers
            # are exclusive), both writing the same file
            ModelCheckpoint(
                dirpath=self.run_dir / "checkpoints",
                save_top_k=0,
                save_last=True,
                every_n_train_steps=cfg.checkpoint_every_n_steps,
                enable_version_counter=False,
            ),
            ModelCheckpoint(
                dirpath=self.run_dir / "checkpoints",
                save_top_k=0,
                save_last=True,
                enable_version_counter=False,
            ),
            RNGStateCallback(),
            LastBatchResumeGuard(),
        ]
        trainer_cfg = self._get(self.config_init, "trainer", default={})
        callbacks = list(trainer_cfg.get("callbacks") or []) + callbacks
        kwargs.update(
            callbacks=callbacks,
            logger=[
                CSVLogger(self.run_dir, name="", version=""),
                TensorBoardLogger(
                    self.run_dir, name="tensorboard", version="", default_hp_metric=False
                ),
            ],
            plugins=[SafeCheckpointIO()],
            default_root_dir=str(self.run_dir),
            use_distributed_sampler=False,
        )
        world = env_world_size()
        if world > 1:  # torchrun: one process per device; 'auto' would train W copies as rank 0
            import os

            local = int(os.environ.get("LOCAL_WORLD_SIZE", world))
            if trainer_cfg.get("devices") in ("auto", None):
                kwargs["devices"] = local
            if trainer_cfg.get("strategy") in ("auto", None):
                kwargs["strategy"] = "ddp"
            kwargs.setdefault("num_nodes", max(1, world // local))
        return super().instantiate_trainer(**kwargs)


def _json_float(v: float) -> float | str:
    return v if math.isfinite(v) else str(v)


def _device(trainer: pl.Trainer) -> str:
    dev = trainer.strategy.root_device
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu"
    return f"{dev.type} ({name}) x {trainer.world_size}"


def _load_tested_weights(cli: AppCLI) -> tuple[Path, dict[str, Any]]:
    """``--test_only``: load the checkpoint's weights (weights only, strictly) into the model.

    The weights are loaded here rather than by ``trainer.test(ckpt_path=...)``, which would also
    restore the callbacks' and data module's states; the model was built from the run's config.
    Returns the checkpoint path and the entries of the summary that describe it.
    """
    ckpt_path, source = find_checkpoint(cli.test_only)
    ckpt = load_checkpoint(ckpt_path)
    try:
        cli.model.load_state_dict(ckpt["state_dict"], strict=True)
    except (KeyError, RuntimeError) as err:
        raise InputError(
            f"--test_only {cli.test_only}: the weights in {ckpt_path} do not fit the model "
            f"built from the configuration ({str(err).splitlines()[0]})",
            "a checkpoint of this app with its run's config.yaml, and no --model.* flag "
            "that changes the architecture",
        ) from err
    info = {
        "evaluated_only": True,
        "source_run": str(source),
        "checkpoint_epoch": ckpt.get("epoch"),
        "checkpoint_step": ckpt.get("global_step"),
    }
    return ckpt_path, info


def _run_one(cli: AppCLI) -> dict[str, Any] | None:
    trainer, model, dm = cli.trainer, cli.model, cli.datamodule
    started = time.perf_counter()
    evaluated: dict[str, Any] = {"evaluated_only": False}
    tested: Path | str  # the checkpoint file (--test_only), else "best" or "last"
    if cli.test_only is not None:
        tested, evaluated = _load_tested_weights(cli)
        trainer.test(model, datamodule=dm)
    else:
        ckpt = None
        if cli.resumed:
            ckpt = cli.run_dir / "checkpoints" / "last.ckpt"
            if not ckpt.is_file():
                raise FileNotFoundError(f"--resume {cli.run_dir}: no checkpoint at {ckpt}")
        trainer.fit(model, datamodule=dm, ckpt_path=ckpt)
        best = "" if cli.best_checkpoint is None else cli.best_checkpoint.best_model_path
        use_best = bool(best and Path(best).is_file())
        trainer.test(model, datamodule=dm, ckpt_path=best if use_best else None)
        tested = "best" if use_best else "last"
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("test_")}
    if not trainer.is_global_zero:
        return None
    for logger in trainer.loggers:
        logger.save()
    summary: dict[str, Any] = {k: _json_float(v) for k, v in sorted(metrics.items())}
    summary.update({k: _json_float(float(v)) for k, v in model.baselines(dm).items()})
    figures = model.figures(dm, cli.run_dir / "figures")
    summary.update(model.summary_extras())
    summary.update(
        app=cli.app,
        run_dir=str(cli.run_dir),
        seed=cli.config.seed_everything,
        smoke=bool(cli.config.smoke),
        resumed=cli.resumed,
        epochs=trainer.current_epoch,
        steps=trainer.global_step,
        params=sum(p.numel() for p in model.parameters()),
        device=_device(trainer),
        wall_time_s=round(time.perf_counter() - started, 2),
        wall_time_since_import_s=round(time.perf_counter() - _STARTED, 2),
        tested_checkpoint=str(tested),
        **evaluated,
        figures=[str(Path(f).relative_to(cli.run_dir)) for f in figures],
    )
    write_json_atomic(cli.run_dir / "summary.json", summary)
    return summary


def _aggregate(summaries: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"seeds": len(summaries)}
    for key, v0 in summaries[0].items():
        if isinstance(v0, float) and all(isinstance(s.get(key), float) for s in summaries):
            vals = [s[key] for s in summaries]
            out[key] = statistics.fmean(vals)
            out[f"{key}_std"] = statistics.stdev(vals) if len(vals) > 1 else 0.0
    out["per_seed"] = [s["run_dir"] for s in summaries]
    return out


def main(app: str, module_cls: type, datamodule_cls: type, argv: list[str] | None = None) -> int:
    """Run an app's command line; returns the exit status (0 ok, 2 bad arguments or data).

    Args:
        app: the app's name (``runs/<app>/``).
        module_cls: its :class:`~apps.framework.AppModule` subclass.
        datamodule_cls: its :class:`~apps.framework.AppDataModule` subclass.
        argv: the arguments (default ``sys.argv[1:]``).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    configs = Path(inspect.getfile(module_cls)).parent / "configs"
    resume, test_only = flag_value(argv, "--resume"), flag_value(argv, "--test_only")
    if test_only is not None:
        try:
            _, source = find_checkpoint(test_only)
        except FileNotFoundError as err:
            print(f"error: --test_only {test_only}: {err}", file=sys.stderr)
            return 2
        if resume is not None or source is None:
            why = "with --resume" if resume is not None else "no config.yaml of its run found"
            print(
                f"error: --test_only {test_only}: {why}. Expected a run folder of this app "
                "(RUN/config.yaml and RUN/checkpoints/*.ckpt) or a .ckpt file inside one.",
                file=sys.stderr,
            )
            return 2
        # the run's config first, later flags win; one evaluation, not one per seed, in a new
        # folder (not the run's own, should its config name one)
        saved = source / "config.yaml"
        argv = ["--config", str(saved), *without_flag(argv, "--test_only")]
        argv += ["--test_only", test_only, "--seeds", "1"]
        named = "run_dir" in (yaml.safe_load(saved.read_text()) or {})
        if named and not flag_value(argv, "--run_dir"):
            argv += ["--run_dir", "null"]
    else:
        try:
            argv = config_first(argv, configs)
        except FileNotFoundError as err:
            print(f"error: {err}", file=sys.stderr)
            return 2
    try:
        seeds = max(1, int(flag_value(argv, "--seeds") or 1))
    except ValueError:
        seeds = 1  # the parser reports the bad value (so does it for 0)
    defaults = [str(configs / "default.yaml")] if (configs / "default.yaml").is_file() else []
    kwargs: dict[str, Any] = {
        "app": app,
        "run": False,
        "save_config_callback": None,
        "auto_configure_optimizers": False,
        "seed_everything_default": 0,
        "parser_kwargs": {"default_config_files": defaults, "prog": f"python -m apps.{app}"},
    }
    summaries: list[dict[str, Any]] = []
    parent: Path | None = None
    try:
        for k in range(seeds):
            args = [*argv, "--seed_everything", str(k)] if seeds > 1 else argv  # (--seeds 0: 1)
            cli = AppCLI(
                module_cls,
                datamodule_cls,
                args=args,
                parent_run_dir=parent,
                sub=f"seed_{k}" if seeds > 1 else None,
                **kwargs,
            )
            if parent is None and seeds > 1:
                parent = cli.run_dir.parent
            summary = _run_one(cli)
            if summary is not None:
                summaries.append(summary)
    except SystemExit as exit_:  # jsonargparse: --help, --print_config, argument errors
        return int(exit_.code or 0)
    except (DatasetNotFoundError, UnsafeCheckpointError, InputError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as err:
        if "cli" in locals() and getattr(locals()["cli"], "trainer", None) is not None:
            raise  # a bug during training, not a bad flag
        print(f"error: invalid argument: {err}", file=sys.stderr)
        return 2
    if not summaries:  # ranks other than 0
        return 0
    if seeds > 1 and parent is not None:
        final = _aggregate(summaries)
        write_json_atomic(parent / "summary.json", final)
        run_dir = parent
    else:
        final, run_dir = summaries[0], Path(summaries[0]["run_dir"])
    print(f"\nrun folder: {run_dir}")
    print(metrics_table(final))
    return 0
