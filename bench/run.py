"""`make bench`: run every benchmark and print its figures (recorded in BENCHMARKS.md)."""

from bench import campaign_timing

if __name__ == "__main__":
    campaign_timing.main()
