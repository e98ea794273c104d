"""The ``autoassist`` command: one argparse parser with subcommands.

``autoassist demo [--task translation]``, ``autoassist bench image``, ``autoassist bench translate``,
``autoassist bench svm``, ``autoassist plot DIR`` and
``autoassist merge OUT DIR...``. ``--help`` works on every command and shows defaults; bad input ends
with one line that names the problem and the fix, and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path
from typing import Callable

Handler = Callable[[argparse.Namespace], int]


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown in help (unless the help already says what the default is); descriptions keep their line
    breaks."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        says_default = "(default" in text or "default:" in text
        return text if says_default or action.required else super()._get_help_string(action)


def _plot(args: argparse.Namespace) -> int:
    from autoassist.bench import report, translation_report

    kind = report.results_kind(report.load_results(args.dir))   # a clear error if DIR holds no readable results
    if kind == "svm":
        from autoassist.bench.svm_plots import plot_svm

        written = [Path(args.dir) / "table.md", *plot_svm(args.dir)]
    else:
        written = (translation_report.plot_results if kind == "translation" else report.plot_results)(args.dir)
    for path in written:
        print(f"wrote {path}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from autoassist.bench import image, translation
    from autoassist.bench.harness import check_writable
    from autoassist.bench.report import combine_results, results_kind, write_results

    results = combine_results(args.dirs)   # every part read and checked, merged in memory
    (translation.finalize if results_kind(results) == "translation" else image.finalize)(results)
    out = Path(args.out)
    check_writable(out, "OUT")
    path = out / "results.json"
    if path.exists():
        print(f"{path} existed: replaced by the merge")
    write_results(path, results)   # once, when everything above has passed
    print(f"wrote {path} ({len(results['runs'])} runs); make its plots with `autoassist plot {args.out}`")
    return 0


def _demo(args: argparse.Namespace) -> int:
    from autoassist.bench.demo import run

    return run(args)


def _bench_image(args: argparse.Namespace) -> int:
    from autoassist.bench.image import run

    return run(args)


def _bench_translate(args: argparse.Namespace) -> int:
    from autoassist.bench.translation import run

    return run(args)


def _bench_svm(args: argparse.Namespace) -> int:
    from autoassist.bench.svm import run

    return run(args)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line (subcommands import their heavy modules only when they run)."""
    from autoassist import __version__
    from autoassist.bench import demo, image, svm, translation
    from autoassist.bench.report import MERGE_MAY_DIFFER

    parser = argparse.ArgumentParser(
        prog="autoassist", formatter_class=_Formatter,
        description="Train on the instances that still teach your model something: AutoAssist (Zhang, Yu, "
                    "Dhillon, NeurIPS 2019) and the methods it is compared with.")
    parser.add_argument("--version", action="version", version=f"autoassist {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = commands.add_parser("demo", formatter_class=_Formatter, help="uniform vs AutoAssist: MNIST-1D (seconds) or --task translation (minutes)",
                            description=(demo.__doc__ or "").split("\n\n")[0])
    demo.configure(p)
    p.set_defaults(handler=_demo)

    bench = commands.add_parser("bench", formatter_class=_Formatter, help="benchmarks: image, translate, svm",
                                description="Benchmarks that compare every method in one run.")
    kinds = bench.add_subparsers(dest="kind", metavar="KIND", required=True)
    p = kinds.add_parser("image", formatter_class=_Formatter, help="every selection method on an image data set",
                         description=(image.__doc__ or "").split("\n\n")[0])
    image.configure(p)
    p.set_defaults(handler=_bench_image)
    p = kinds.add_parser("translate", formatter_class=_Formatter,
                         help="every stream selection method on a parallel corpus (Transformer, BLEU)",
                         description=(translation.__doc__ or "").split("\n\n")[0])
    translation.configure(p)
    p.set_defaults(handler=_bench_translate)
    p = kinds.add_parser("svm", formatter_class=_Formatter,
                         help="linear SVM: uniform SGD vs importance sampling vs instance shrinking",
                         description=(svm.__doc__ or "").split("\n\n")[0])
    svm.configure(p)
    p.set_defaults(handler=_bench_svm)

    p = commands.add_parser("plot", formatter_class=_Formatter, help="table.md and PNGs from DIR/results.json",
                            description="Make table.md and the PNG plots from DIR/results.json alone.")
    p.add_argument("dir", metavar="DIR",
                   help="a folder holding results.json (of bench image, bench translate, bench svm or demo)")
    p.set_defaults(handler=_plot)

    p = commands.add_parser("merge", formatter_class=_Formatter, help="combine benchmark parts run side by side",
                            description=textwrap.fill(
                                "Combine the results.json of benchmark parts (bench image, bench translate or demo) "
                                "into OUT/results.json. The parts must be of one setting: only the "
                                + ", ".join(MERGE_MAY_DIFFER[:-1]) + f" and {MERGE_MAY_DIFFER[-1]} of their configs "
                                "may differ, and each run may be in one part only. Every part is checked before OUT "
                                "is written; nothing is written otherwise.", 100))
    p.add_argument("out", metavar="OUT", help="output folder")
    p.add_argument("dirs", metavar="DIR", nargs="+", help="folders holding results.json")
    p.set_defaults(handler=_merge)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; bad input ends with its message (no traceback) and exit status 2, Ctrl-C with one line
    and exit status 130."""
    from autoassist._errors import ParameterError, ParameterTypeError

    parser = build_parser()
    try:
        args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return int(args.handler(args))
    except (ParameterError, ParameterTypeError, FileNotFoundError) as error:
        print(f"autoassist: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        print(f"autoassist: {_interrupted(args, interrupt)}", file=sys.stderr)
        return 130


def _interrupted(args: argparse.Namespace, interrupt: KeyboardInterrupt) -> str:
    """The line for Ctrl-C: the benchmark loop's own (harness.Interrupted carries where the finished runs are),
    else where a command with --out and --resume keeps them."""
    if str(interrupt):
        return str(interrupt)
    if not hasattr(args, "resume"):
        return "interrupted"
    if args.out is None:
        return ("interrupted; the finished runs, if any, are in results.json in the --out folder (see --help for its "
                "default): rerun the same command with --resume")
    path = Path(args.out) / "results.json"
    if not path.is_file():
        return f"interrupted before the first run finished; {path} was not written"
    return f"interrupted; the finished runs are in {path}: rerun the same command with --resume"


if __name__ == "__main__":
    raise SystemExit(main())
