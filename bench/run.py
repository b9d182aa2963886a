"""`make bench`: every benchmark, one after the other (each prints its own medians)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import checkout, licensing_validate, pricing, validate_timing

if __name__ == "__main__":
    print("== /pricing/ ==", flush=True)
    pricing.main(sys.argv[1:])
    print("\n== POST /api/v1/licenses/validate ==", flush=True)
    licensing_validate.main(sys.argv[1:])
    print("\n== validation timing: another organization's key vs a random key ==", flush=True)
    validate_timing.main([])
    print("\n== the checkout preview, and the invoice PDF ==", flush=True)
    checkout.main(sys.argv[1:])
