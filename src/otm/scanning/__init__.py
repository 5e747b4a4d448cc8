"""Safe active discovery: read-only identity queries to devices the user names.

Every request comes from a catalog of read-only builders (``safety``), goes
only to addresses inside the user's scope, one at a time per device and under
a global rate (``limits``); results are observations of source ``scan``.
"""
