# SPDX-License-Identifier: GPL-2.0-or-later
"""powner: Linux's page_owner and page_owner_stacks files, reproduced from a kernel dump.

powner.drgn runs the powner engine inside drgn; ``python3 -m powner.drgn`` is its command line.
"""

__version__ = "0.1.0"
