"""Speed and memory benchmarks of the pipeline (see README.md); not part of the package."""
