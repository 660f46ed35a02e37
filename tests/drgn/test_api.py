#!/usr/bin/env python3
"""The drgn plugin's API (powner.drgn) against the live captures of a fixture dump:

- page_owner() takes mode and nid as values, each what follows "mode=" or "nid=" in a write to
  the page_owner file: a mode with a space in it is an unknown mode, "0, 1" is a node list, and
  empty values are rejected as the kernel rejects "mode=" and "nid=".

usage: test_api.py FIXTURE_DIR DUMP"""
import io
import sys
import warnings

import powner.drgn as plugin
from fixture import SKIP, Failures, Fixture


def printed(call):
    """(bytes, what was skipped) of a powner.drgn function printing to file=."""
    out = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(out)
    skipped = " ".join(str(w.message) for w in caught
                       if issubclass(w.category, plugin.SkippedPagesWarning))
    return out.getvalue(), skipped


def usage_error(call):
    """The message of the Error(Status.USAGE) call raises, or None."""
    try:
        call()
    except plugin.Error as e:
        return str(e) if e.status == plugin.Status.USAGE else None
    return None


def check_filter_values(prog, fx, fail):
    discard = io.BytesIO()
    for kwargs, words in [
        ({"mode": "handle nid=1"}, "unknown print mode 'handle nid=1'"),
        ({"mode": ""}, "unknown print mode ''"),
        ({"nid": ""}, "the node list is empty"),
        ({"mode": "handle", "nid": "1 mode=stack"}, "not a node list"),
    ]:
        said = usage_error(lambda: plugin.page_owner(prog, file=discard, **kwargs))
        fail.check(said and words in said and "EINVAL" in said,
                   f"page_owner({kwargs}) must be refused with {words!r}: {said}")
        said = usage_error(lambda: plugin.records(prog, nid=kwargs["nid"])) if "nid" in kwargs \
            else words
        fail.check(said and words in said, f"records(nid={kwargs.get('nid')!r}): {said}")
    for kwargs, capture in [
        ({"mode": "handle", "nid": "0, 1"}, "page_owner.mode-handle.nid-0,1.txt"),
        ({"mode": "stack_handle", "nid": [1]}, "page_owner.mode-stack_handle.nid-1.txt"),
        ({"nid": 0}, "page_owner.mode-stack.nid-0.txt"),
    ]:
        got, skipped = printed(lambda out: plugin.page_owner(prog, file=out, **kwargs))
        differs = fx.differs(capture, got, skipped)
        fail.check(not differs, f"page_owner({kwargs}) is not {capture}: {differs}")
    print("page_owner(): mode and nid as values")


def main(argv):
    fx = Fixture(argv[1], argv[2])
    if not fx.opens():
        return SKIP
    prog = fx.program()
    fail = Failures()
    check_filter_values(prog, fx, fail)
    print(f"{'FAILED' if fail.count else 'passed'}: {fail.count} failures")
    return 1 if fail.count else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
