"""The bench's report: plain text, one table of pages, then one block per section."""

from bench.measure import DOCUMENT_GOAL_MS, P95_GOAL_MS, Report


def print_report(report: Report) -> None:
    print()
    print("E-safety bench")
    print("=" * 14)
    width = max(len(label) for label, _ in report.facts)
    for label, value in report.facts:
        print(f"{label + ':':{width + 1}} {value}")

    goal = f"p95 <= {P95_GOAL_MS} ms"
    if report.pages:
        print()
        name_width = max(len("page"), *(len(p.name) for p in report.pages))
        print(f"{'page':{name_width}}  {'median ms':>9}  {'p95 ms':>7}  {'queries':>7}  {'kB':>5}  {goal}")
        print(f"{'-' * name_width}  {'-' * 9}  {'-' * 7}  {'-' * 7}  {'-' * 5}  {'-' * len(goal)}")
        for page in report.pages:
            status = "" if page.ok else f"  HTTP {page.status} (expected 200)"
            meets = "yes" if page.meets_goal else "no"
            if page.goal_ms != P95_GOAL_MS:
                meets += f" (PDF: {page.goal_ms:,} ms)"
            size = f"{page.size_bytes / 1024:5.0f}"
            line = f"{page.name:{name_width}}  {page.median_ms:9.1f}  {page.p95_ms:7.1f}  {page.queries:7}  {size}  {meets:{len(goal)}}"
            print((line + status).rstrip())

    for section in report.sections:
        print()
        print(section.title + ("" if section.ok else "  [NEEDS A LOOK]"))
        for line in section.lines:
            print(f"  {line}")
    print()
    if report.pages:
        # The goal is reported, not asserted: a slow page does not fail the run.
        meeting = sum(page.meets_goal for page in report.pages)
        print(
            f"{meeting} of {len(report.pages)} pages meet their goal: a 95th percentile at or under {P95_GOAL_MS} ms, "
            f"or {DOCUMENT_GOAL_MS:,} ms for a PDF laid out when asked for (as a class's consent slips)."
        )
    print("All checks passed." if report.ok else "Some checks failed: see [NEEDS A LOOK] and HTTP errors above.")
