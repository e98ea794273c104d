"""The ``autoassist`` command: ``demo``, ``bench image``, ``bench svm`` and ``plot``."""

from __future__ import annotations

import json
import sys

USAGE = """usage: autoassist COMMAND [options]

commands:
  demo            uniform vs AutoAssist on MNIST-1D (or --dataset fashion-mnist --data-dir DIR)
  bench image     every selection method side by side, budget-to-target and fixed-passes protocols
  bench svm       linear SVM: uniform SGD vs importance sampling vs instance shrinking
  plot DIR        tables and PNGs from DIR/results.json of `bench image` or `demo`
  merge OUT DIR.. combine the results.json of benchmark parts run in parallel into OUT

`autoassist COMMAND --help` shows a command's options."""


def main(argv: list[str] | None = None) -> int:
    """Run one command; bad input ends with its message (no traceback) and exit status 2."""
    from autoassist._errors import ParameterError, ParameterTypeError

    try:
        return _dispatch(list(sys.argv[1:] if argv is None else argv))
    except (ParameterError, ParameterTypeError) as error:
        print(f"autoassist: error: {error}", file=sys.stderr)
        return 2


def _dispatch(args: list[str]) -> int:
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    if command == "demo":
        from autoassist.bench.demo import main as demo_main

        return demo_main(rest)
    if command == "bench":
        if rest and rest[0] == "image":
            from autoassist.bench.image import main as image_main

            return image_main(rest[1:])
        if rest and rest[0] == "svm":
            from autoassist.bench.svm import main as svm_main

            return svm_main(rest[1:])
        print("usage: autoassist bench {image,svm} [options]", file=sys.stderr)
        return 2
    if command == "plot":
        if len(rest) != 1 or rest[0].startswith("-"):
            print("usage: autoassist plot DIR", file=sys.stderr)
            return 2
        from autoassist.bench.report import plot_results

        for path in plot_results(rest[0]):
            print(f"wrote {path}")
        return 0
    if command == "merge":
        if len(rest) < 2 or any(a.startswith("-") for a in rest):
            print("usage: autoassist merge OUT DIR [DIR ...]", file=sys.stderr)
            return 2
        from autoassist.bench.image import finalize
        from autoassist.bench.report import load_results, merge_results

        path = merge_results(rest[0], rest[1:])
        results = load_results(rest[0])
        finalize(results)
        path.write_text(json.dumps(results, indent=1))
        print(f"wrote {path} ({len(results['runs'])} runs); make its plots with `autoassist plot {rest[0]}`")
        return 0
    print(f"autoassist: unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
