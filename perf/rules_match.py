"""What matching path rules costs: 1,000 rules against a 3,000-file pull request.

``python -m perf.rules_match`` prints the median of a few runs for: compiling the rules,
matching them (``bot.core.routing.matched_rules``), and a 1,000-line CODEOWNERS owning the
3,000 files (``bot.core.paths.codeowners.owned``, last match wins), plus the naive way
(every pattern tried on every file) for comparison. Pure CPU: no network, no store.

The shapes are mixed as real files are: anchored directories (``/services/svc7/``),
extensions at any depth (``**/*.ext7``), directories at any depth (``module7/``) and
patterns that index nothing (``**/logs7``, ``*7.py``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from bot.core.paths.codeowners import CodeOwnersFormat, owned, parse
from bot.core.paths.patterns import compile_pattern
from bot.core.routing import Routing, Rule, matched_rules

RULES = 1000
FILES = 3000
RUNS = 5


def pattern(i: int) -> str:
    return [f"/services/svc{i}/", f"**/*.ext{i}", f"module{i}/", f"**/logs{i}", f"*{i}.py"][i % 5]


def rules() -> tuple[Rule, ...]:
    return tuple(Rule(f"r{i}", (pattern(i), f"/extra/r{i}/**"), team="t") for i in range(RULES))


def files() -> list[str]:
    out = []
    for i in range(FILES):
        out.append(
            [
                f"services/svc{i % 2000}/src/handler_{i}.go",
                f"lib/deep/path/file_{i}.ext{i % 1500}",
                f"a/b/module{i % 1700}/x_{i}.ts",
                f"docs/page_{i}.md",
            ][i % 4]
        )
    return out


def _median(run: Callable[[], object]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    the_rules, the_files = rules(), files()

    def compiled() -> Routing:
        compile_pattern.cache_clear()  # what the first job after a start pays
        routing = Routing(the_rules)
        for rule in the_rules:
            routing.patterns(rule)
        return routing

    routing = compiled()
    found = matched_rules(routing, None, the_files)
    text = "".join(f"{pattern(i)} @acme/team{i}\n" for i in range(RULES))
    fmt = CodeOwnersFormat(("CODEOWNERS",))
    codeowners = parse(text, "CODEOWNERS", fmt)
    lines = owned(codeowners, the_files)
    plain = [compile_pattern(pattern(i)) for i in range(RULES)]

    def naive() -> int:
        return sum(1 for p in plain for f in the_files if p.matches(f))

    matching = _median(lambda: matched_rules(routing, None, the_files)) * 1000
    owning = _median(lambda: owned(codeowners, the_files)) * 1000
    print(f"{RULES} rules ({2 * RULES} patterns), {FILES} files; median of {RUNS} runs")
    print(f"  compile the rules (cold):     {_median(compiled) * 1000:8.1f} ms")
    print(f"  match (matched_rules):        {matching:8.1f} ms   ({len(found)} rules match)")
    print(f"  CODEOWNERS, {RULES} lines:       {owning:8.1f} ms   ({len(lines)} lines own files)")
    print(f"  naive, every pattern x file:  {_median(naive) * 1000:8.1f} ms (one pattern a rule)")


if __name__ == "__main__":
    main()
