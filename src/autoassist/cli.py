"""The ``autoassist`` command: one argparse parser with subcommands.

``autoassist demo [--task translation]``, ``autoassist bench image``, ``autoassist bench translate``,
``autoassist bench svm``, ``autoassist plot DIR`` and
``autoassist merge OUT DIR...``. ``--help`` works on every command and shows defaults; bad input ends
with one line that names the problem and the fix, and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable

Handler = Callable[[argparse.Namespace], int]


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Defaults shown in help (unless the help already says what the default is); descriptions keep their line
    breaks."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        says_default = "(default" in text or "default:" in text
        return text if says_default or action.required else super()._get_help_string(action)


def _is_translation(results: dict[str, object]) -> bool:
    config = results.get("config")
    return isinstance(config, dict) and config.get("task") == "translation"


def _plot(args: argparse.Namespace) -> int:
    from autoassist.bench import report, translation_report

    results = report.load_results(args.dir)
    plot = translation_report.plot_results if _is_translation(results) else report.plot_results
    for path in plot(args.dir):
        print(f"wrote {path}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from autoassist.bench import image, translation
    from autoassist.bench.report import load_results, merge_results

    path = merge_results(args.out, args.dirs)
    results = load_results(args.out)
    (translation.finalize if _is_translation(results) else image.finalize)(results)
    path.write_text(json.dumps(results, indent=1))
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
    p.add_argument("dir", metavar="DIR", help="a folder holding results.json (of bench image, bench translate or demo)")
    p.set_defaults(handler=_plot)

    p = commands.add_parser("merge", formatter_class=_Formatter, help="combine benchmark parts run side by side",
                            description="Combine the results.json of benchmark parts into OUT/results.json. The "
                            "parts must be of one setting: only their seeds, methods, fractions, protocols, evaluation "
                            "points, decoding batch, threads and file paths may differ.")
    p.add_argument("out", metavar="OUT", help="output folder")
    p.add_argument("dirs", metavar="DIR", nargs="+", help="folders holding results.json")
    p.set_defaults(handler=_merge)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; bad input ends with its message (no traceback) and exit status 2."""
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


if __name__ == "__main__":
    raise SystemExit(main())
